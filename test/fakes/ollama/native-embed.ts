/**
 * POST /api/embed and the legacy POST /api/embeddings (server/routes.go EmbedHandler,
 * EmbeddingsHandler; PROTOCOLS.md §1.7). Vectors are deterministic per model and input; /api/embed
 * normalises them (and re-normalises after `dimensions`), the legacy endpoint does not.
 */
import { float32ish, seededNumbers, unitVector } from '../shared/vectors.js';
import { countTokens } from './generation.js';
import type { GenerationJob } from './generation.js';
import { goQuote, parseKeepAlive } from './go-format.js';
import { sendGinError, sendGinJson } from './http-io.js';
import type { OllamaExchange } from './http-io.js';
import type { ModelEntry } from './models.js';
import { parseModelRef } from './names.js';
import { decodeStruct, readFields } from './state.js';
import type { OllamaState } from './state.js';
import type { KeepAlive } from './types.js';

/** EmbedHandler's input switch: a string (empty → no inputs) or an array of strings. */
export function embedInputs(input: unknown): string[] | undefined {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return input === '' ? [] : [input];
  if (Array.isArray(input) && input.every((v): v is string => typeof v === 'string')) return input;
  return undefined;
}

export function embedVector(entry: ModelEntry, text: string, dimensions: number | undefined): number[] {
  const full = unitVector(`${entry.name.display}\n${text}`, entry.embeddingLength);
  if (dimensions === undefined || dimensions <= 0 || dimensions >= full.length) return full;
  const cut = full.slice(0, dimensions);
  const norm = Math.sqrt(cut.reduce((sum, v) => sum + v * v, 0)) || 1;
  return cut.map((v) => float32ish(v / norm));
}

/** Loads the model (honouring the load delay and a client abort), then calls `then`. */
export function withLoadedModel(st: OllamaState, ex: OllamaExchange, entry: ModelEntry, keepAlive: KeepAlive, then: (loadNs: number) => void): void {
  const job: GenerationJob = { ex, entry, keepAlive, contextLength: undefined, promptTokens: 0, maxTokens: undefined };
  st.engine.load(job, st.loadDelayMs(), () => then(Math.max(1, Number(process.hrtime.bigint() - ex.startedNs))));
}

export function handleEmbed(ex: OllamaExchange, st: OllamaState): void {
  const decoded = decodeStruct(ex, 'api', 'EmbedRequest');
  if (!decoded.ok) {
    sendGinError(ex, 400, decoded.empty ? 'missing request body' : decoded.message);
    return;
  }
  const { s } = decoded;
  const fields = readFields(() => {
    const dims = s.raw('dimensions');
    return {
      model: s.string('model'),
      input: s.raw('input'),
      keepAlive: parseKeepAlive(s.raw('keep_alive')),
      dimensions: typeof dims === 'number' ? Math.trunc(dims) : undefined,
    };
  });
  if (!fields.ok) {
    sendGinError(ex, 400, fields.message);
    return;
  }
  const req = fields.value;
  const ref = parseModelRef(req.model);
  if (ref.kind !== 'ok') {
    if (ref.kind === 'invalid') sendGinError(ex, 400, 'invalid model name');
    else sendGinError(ex, 404, `model '${req.model}' not found`);
    return;
  }
  const inputs = embedInputs(req.input);
  if (inputs === undefined) {
    sendGinError(ex, 400, 'invalid input type');
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    // The scheduler's error text: Go %q, so double quotes (PROTOCOLS.md §1.9).
    sendGinError(ex, 404, `model ${goQuote(req.model)} not found, try pulling it first`);
    return;
  }
  withLoadedModel(st, ex, entry, req.keepAlive, (loadNs) => {
    if (inputs.length === 0) {
      sendGinJson(ex, 200, { model: req.model, embeddings: [] });
      return;
    }
    const embeddings = inputs.map((text) => embedVector(entry, text, req.dimensions));
    const promptEvalCount = inputs.reduce((sum, text) => sum + Math.max(1, countTokens(text)), 0);
    const totalNs = Math.max(loadNs + 1, Number(process.hrtime.bigint() - ex.startedNs));
    sendGinJson(ex, 200, { model: req.model, embeddings, total_duration: totalNs, load_duration: loadNs, prompt_eval_count: promptEvalCount });
  });
}

export function handleEmbeddings(ex: OllamaExchange, st: OllamaState): void {
  const decoded = decodeStruct(ex, 'api', 'EmbeddingRequest');
  if (!decoded.ok) {
    sendGinError(ex, 400, decoded.empty ? 'missing request body' : decoded.message);
    return;
  }
  const { s } = decoded;
  const fields = readFields(() => ({ model: s.string('model'), prompt: s.string('prompt'), keepAlive: parseKeepAlive(s.raw('keep_alive')) }));
  if (!fields.ok) {
    sendGinError(ex, 400, fields.message);
    return;
  }
  const req = fields.value;
  const ref = parseModelRef(req.model);
  if (ref.kind !== 'ok') {
    sendGinError(ex, 400, ref.kind === 'invalid' ? 'invalid model name' : 'model is required');
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    sendGinError(ex, 404, `model ${goQuote(req.model)} not found, try pulling it first`);
    return;
  }
  withLoadedModel(st, ex, entry, req.keepAlive, () => {
    // An empty prompt only loads the model.
    const embedding = req.prompt === '' ? [] : seededNumbers(`${entry.name.display}\n${req.prompt}`, entry.embeddingLength).map(float32ish);
    sendGinJson(ex, 200, { embedding });
  });
}
