/**
 * POST /api/generate and POST /api/chat, in the order server/routes.go GenerateHandler and
 * ChatHandler check things: decode → model name → model exists → unload (keep_alive 0 with an
 * empty prompt/messages, never loads) → capability → load (empty prompt/messages) → generate
 * (PROTOCOLS.md §1.4–1.6, §1.9).
 */
import { countTokens } from './generation.js';
import type { GenerationJob } from './generation.js';
import { formatGoTime, goQuote, parseKeepAlive } from './go-format.js';
import { sendGinError, sendGinJson } from './http-io.js';
import type { OllamaExchange } from './http-io.js';
import type { ModelEntry } from './models.js';
import { parseModelRef } from './names.js';
import { decodeStruct, intOption, readFields } from './state.js';
import type { OllamaState } from './state.js';
import type { KeepAlive } from './types.js';
import { createNativeJsonWriter, createNdjsonWriter } from './writers.js';
import type { NativeKind } from './writers.js';

interface NativeRequest {
  model: string;
  stream: boolean | undefined;
  keepAlive: KeepAlive;
  options: Record<string, unknown> | undefined;
  /** Empty prompt / messages: a load or unload request. */
  empty: boolean;
  promptTokens: number;
}

function readGenerate(ex: OllamaExchange): { ok: true; req: NativeRequest } | { ok: false; message: string } {
  const decoded = decodeStruct(ex, 'api', 'GenerateRequest');
  if (!decoded.ok) return { ok: false, message: decoded.empty ? 'missing request body' : decoded.message };
  const { s } = decoded;
  const fields = readFields(() => {
    const prompt = s.string('prompt');
    const system = s.string('system');
    const raw = s.bool('raw') ?? false;
    const template = s.string('template');
    const context = s.array('context', '[]int') ?? [];
    return {
      model: s.string('model'),
      stream: s.bool('stream'),
      keepAlive: parseKeepAlive(s.raw('keep_alive')),
      options: s.object('options', 'map[string]interface {}'),
      empty: prompt === '',
      promptTokens: countTokens(system) + countTokens(prompt),
      rawConflict: raw && (template !== '' || system !== '' || context.length > 0),
    };
  });
  if (!fields.ok) return { ok: false, message: fields.message };
  if (fields.value.rawConflict) return { ok: false, message: 'raw mode does not support template, system, or context' };
  return { ok: true, req: fields.value };
}

function readChat(ex: OllamaExchange): { ok: true; req: NativeRequest } | { ok: false; message: string } {
  const decoded = decodeStruct(ex, 'api', 'ChatRequest');
  if (!decoded.ok) return { ok: false, message: decoded.empty ? 'missing request body' : decoded.message };
  const { s } = decoded;
  const fields = readFields(() => {
    const messages = s.array('messages', '[]api.Message') ?? [];
    let promptTokens = 0;
    for (const message of messages) {
      if (message === null) continue;
      if (typeof message !== 'object' || Array.isArray(message)) {
        throw new Error(`json: cannot unmarshal ${Array.isArray(message) ? 'array' : typeof message === 'string' ? 'string' : typeof message} into Go struct field ChatRequest.messages of type api.Message`);
      }
      const content = (message as Record<string, unknown>)['content'];
      promptTokens += 4 + (typeof content === 'string' ? countTokens(content) : 0);
    }
    return {
      model: s.string('model'),
      stream: s.bool('stream'),
      keepAlive: parseKeepAlive(s.raw('keep_alive')),
      options: s.object('options', 'map[string]interface {}'),
      empty: messages.length === 0,
      promptTokens,
    };
  });
  return fields.ok ? { ok: true, req: fields.value } : { ok: false, message: fields.message };
}

/** Model lookup with each handler's own error texts (PROTOCOLS.md §1.9). */
function findModel(ex: OllamaExchange, st: OllamaState, kind: NativeKind, model: string): ModelEntry | undefined {
  const ref = parseModelRef(model);
  if (ref.kind === 'invalid') {
    sendGinError(ex, 400, 'invalid model name');
    return undefined;
  }
  if (ref.kind === 'required') {
    // generate falls back to 404 "model '' not found"; chat says "model is required".
    if (kind === 'generate') sendGinError(ex, 404, `model '${model}' not found`);
    else sendGinError(ex, 400, 'model is required');
    return undefined;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) sendGinError(ex, 404, `model '${model}' not found`);
  return entry;
}

/** The immediate single object of a load/unload request (never a stream, even if stream is true). */
function loadReply(kind: NativeKind, model: string, reason: 'load' | 'unload'): Record<string, unknown> {
  const createdAt = formatGoTime(Date.now(), 'utc');
  return kind === 'generate'
    ? { model, created_at: createdAt, response: '', done: true, done_reason: reason }
    : { model, created_at: createdAt, message: { role: 'assistant', content: '' }, done: true, done_reason: reason };
}

export function handleNative(kind: NativeKind, ex: OllamaExchange, st: OllamaState): void {
  const read = kind === 'generate' ? readGenerate(ex) : readChat(ex);
  if (!read.ok) {
    sendGinError(ex, 400, read.message);
    return;
  }
  const req = read.req;
  const entry = findModel(ex, st, kind, req.model);
  if (entry === undefined) return;

  if (req.empty && req.keepAlive.kind === 'ms' && req.keepAlive.ms === 0) {
    st.registry.unload(entry);
    sendGinJson(ex, 200, loadReply(kind, req.model, 'unload'));
    return;
  }
  if (!entry.capabilities.includes('completion')) {
    sendGinError(ex, 400, `${goQuote(req.model)} does not support ${kind}`);
    return;
  }
  const job: GenerationJob = {
    ex,
    entry,
    keepAlive: req.keepAlive,
    contextLength: intOption(req.options, 'num_ctx'),
    promptTokens: req.promptTokens,
    maxTokens: intOption(req.options, 'num_predict'),
  };
  if (req.empty) {
    st.engine.load(job, st.loadDelayMs(), () => sendGinJson(ex, 200, loadReply(kind, req.model, 'load')));
    return;
  }
  // The server streams unless "stream": false (the JS client sends false by default, §1.11).
  const writer = req.stream === false ? createNativeJsonWriter(ex, kind, req.model) : createNdjsonWriter(ex, kind, req.model);
  st.engine.run(job, st.generationSettings(ex.call.path), writer);
}
