/**
 * OpenAI-compatible routes: POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models,
 * GET /v1/models/:model (middleware/openai.go + the native handlers they wrap; PROTOCOLS.md §1.10).
 * Errors raised by the middleware itself use c.AbortWithStatusJSON; errors from the wrapped native
 * handler are re-encoded by BaseWriter.writeError — both in the OpenAI error shape.
 */
import { countTokens } from './generation.js';
import type { GenerationJob } from './generation.js';
import { goQuote, unixSeconds } from './go-format.js';
import { sendEncoderJson, sendOpenAiError } from './http-io.js';
import type { OllamaExchange } from './http-io.js';
import { embedInputs, embedVector, withLoadedModel } from './native-embed.js';
import { parseModelRef } from './names.js';
import { decodeStruct, readFields } from './state.js';
import type { OllamaState } from './state.js';
import { createOpenAiJsonWriter, createOpenAiSseWriter } from './writers.js';

export function handleV1Chat(ex: OllamaExchange, st: OllamaState): void {
  const decoded = decodeStruct(ex, 'openai', 'ChatCompletionRequest');
  if (!decoded.ok) {
    sendOpenAiError(ex, 400, decoded.message, 'middleware');
    return;
  }
  const { s } = decoded;
  const fields = readFields(() => {
    const streamOptions = s.object('stream_options', 'openai.StreamOptions');
    const maxTokens = s.raw('max_tokens');
    return {
      model: s.string('model'),
      messages: s.array('messages', '[]openai.Message') ?? [],
      stream: s.bool('stream') ?? false,
      includeUsage: streamOptions?.['include_usage'] === true,
      maxTokens: typeof maxTokens === 'number' ? Math.trunc(maxTokens) : undefined,
    };
  });
  if (!fields.ok) {
    sendOpenAiError(ex, 400, fields.message, 'middleware');
    return;
  }
  const req = fields.value;
  if (req.messages.length === 0) {
    sendOpenAiError(ex, 400, "[] is too short - 'messages'", 'middleware');
    return;
  }
  // From here on the native ChatHandler runs behind the ChatWriter.
  const ref = parseModelRef(req.model);
  if (ref.kind !== 'ok') {
    sendOpenAiError(ex, 400, ref.kind === 'invalid' ? 'invalid model name' : 'model is required', 'handler');
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    sendOpenAiError(ex, 404, `model '${req.model}' not found`, 'handler');
    return;
  }
  if (!entry.capabilities.includes('completion')) {
    sendOpenAiError(ex, 400, `${goQuote(req.model)} does not support chat`, 'handler');
    return;
  }
  let promptTokens = 0;
  for (const message of req.messages) {
    const content = message !== null && typeof message === 'object' ? (message as Record<string, unknown>)['content'] : undefined;
    promptTokens += 4 + (typeof content === 'string' ? countTokens(content) : 0);
  }
  const job: GenerationJob = { ex, entry, keepAlive: { kind: 'absent' }, contextLength: undefined, promptTokens, maxTokens: req.maxTokens };
  // Ids are "chatcmpl-" + rand.Intn(999).
  const ids = { id: `chatcmpl-${Math.floor(Math.random() * 999)}`, model: req.model };
  const writer = req.stream ? createOpenAiSseWriter(ex, ids, req.includeUsage) : createOpenAiJsonWriter(ex, ids);
  st.engine.run(job, st.generationSettings(ex.call.path), writer);
}

/** Little-endian float32 bytes in base64 (openai.floatsToBase64). */
function floatsToBase64(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

export function handleV1Embeddings(ex: OllamaExchange, st: OllamaState): void {
  const decoded = decodeStruct(ex, 'openai', 'EmbedRequest');
  if (!decoded.ok) {
    sendOpenAiError(ex, 400, decoded.message, 'middleware');
    return;
  }
  const { s } = decoded;
  const fields = readFields(() => {
    const dims = s.raw('dimensions');
    return {
      model: s.string('model'),
      input: s.raw('input'),
      encodingFormat: s.string('encoding_format'),
      dimensions: typeof dims === 'number' ? Math.trunc(dims) : undefined,
    };
  });
  if (!fields.ok) {
    sendOpenAiError(ex, 400, fields.message, 'middleware');
    return;
  }
  const req = fields.value;
  const format = req.encodingFormat.toLowerCase();
  if (format !== '' && format !== 'float' && format !== 'base64') {
    sendOpenAiError(ex, 400, `Invalid value for 'encoding_format' = ${req.encodingFormat}. Supported values: ['float', 'base64'].`, 'middleware');
    return;
  }
  // EmbeddingsMiddleware: "" becomes [""]; absent or [] is "invalid input".
  const input = req.input === '' ? [''] : req.input;
  if (input === undefined || (Array.isArray(input) && input.length === 0)) {
    sendOpenAiError(ex, 400, 'invalid input', 'middleware');
    return;
  }
  const ref = parseModelRef(req.model);
  if (ref.kind !== 'ok') {
    if (ref.kind === 'invalid') sendOpenAiError(ex, 400, 'invalid model name', 'handler');
    else sendOpenAiError(ex, 404, `model '${req.model}' not found`, 'handler');
    return;
  }
  const inputs = embedInputs(input);
  if (inputs === undefined) {
    sendOpenAiError(ex, 400, 'invalid input type', 'handler');
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    sendOpenAiError(ex, 404, `model ${goQuote(req.model)} not found, try pulling it first`, 'handler');
    return;
  }
  withLoadedModel(st, ex, entry, { kind: 'absent' }, () => {
    const tokens = inputs.reduce((sum, text) => sum + Math.max(1, countTokens(text)), 0);
    sendEncoderJson(ex, 200, {
      object: 'list',
      data: inputs.map((text, index) => {
        const vector = embedVector(entry, text, req.dimensions);
        return { object: 'embedding', embedding: format === 'base64' ? floatsToBase64(vector) : vector, index };
      }),
      model: req.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });
}

/** ListWriter: `data` is null (not []) when there are no models. */
export function handleV1Models(ex: OllamaExchange, st: OllamaState): void {
  const models = st.registry.list();
  sendEncoderJson(ex, 200, {
    object: 'list',
    data:
      models.length === 0
        ? null
        : models.map((m) => ({ id: m.name.display, object: 'model', created: unixSeconds(m.modifiedAtMs), owned_by: m.name.namespace })),
  });
}

/** RetrieveWriter over ShowHandler: the id is echoed as sent; owned_by is its namespace. */
export function handleV1Model(ex: OllamaExchange, st: OllamaState, param: string): void {
  const ref = parseModelRef(param);
  if (ref.kind !== 'ok') {
    sendOpenAiError(ex, 400, ref.kind === 'invalid' ? 'invalid model name' : 'model is required', 'handler');
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    sendOpenAiError(ex, 404, `model '${ref.name.display}' not found`, 'handler');
    return;
  }
  sendEncoderJson(ex, 200, { id: param, object: 'model', created: unixSeconds(entry.modifiedAtMs), owned_by: ref.name.namespace });
}
