/**
 * What the scheduler does to a node's Ollama when its GPU window changes (DESIGN.md §1): free the
 * VRAM when the window closes or a game starts, warm models up when it opens. Both go through the
 * official `ollama` client (PROTOCOLS.md §1.11) with the agent's injected fetch.
 *
 * Ollama has no load/unload endpoints; both are `/api/generate` with an empty prompt
 * (PROTOCOLS.md §1.6, server/routes.go GenerateHandler): `keep_alive: 0` expires the runner and
 * answers `done_reason: "unload"` (checked *before* scheduling, so it never loads the model);
 * without it the model is scheduled and the answer is `done_reason: "load"`.
 */
import { Ollama } from 'ollama';
import { AgentError } from '../kernel/errors.js';
import { describeFetchError } from '../kernel/fetch-error.js';
import { ollamaPsWire } from './ollama-wire.js';

export interface OllamaActionOptions {
  /** Ollama base URL, e.g. http://127.0.0.1:11434. */
  url: string;
  fetch: typeof fetch;
  /** Aborts the request in flight; the action then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface PreloadOptions extends OllamaActionOptions {
  models: readonly string[];
  /**
   * How long Ollama keeps each model loaded: seconds as a number, or a Go duration string ("30m");
   * negative = until unloaded. A bare numeric string ("10") is a 400 upstream (PROTOCOLS.md §1.6).
   * Absent: the server's OLLAMA_KEEP_ALIVE (default 5 minutes).
   */
  keepAlive?: string | number;
}

export interface PreloadResult {
  /** Models Ollama confirmed as loaded, in request order. */
  loaded: string[];
  /** Models the node does not have (404); pull them there first. */
  missing: string[];
}

/** One model's HTTP failure, kept while the others are still tried. */
export interface ModelFailure {
  model: string;
  reason: string;
}

/**
 * Ollama could not be reached, answered something unexpected, or refused some models.
 * `details` carries what was done anyway, so the caller can log partial progress.
 */
export class OllamaActionError extends AgentError {
  constructor(code: 'ollama_unreachable' | 'ollama_bad_answer' | 'ollama_refused', message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    // 502: the failure is upstream of the agent (Ollama), not in the request made to us.
    super(code, message, { httpStatus: 502, ...opts });
  }
}

/**
 * Unloads every model `/api/ps` lists and returns the names it unloaded. A model that vanished
 * between the listing and its unload (deleted: 404 `model '…' not found`) is skipped, not an
 * error, and not in the result. Other per-model refusals are collected and thrown together after
 * the rest were tried: freeing as much VRAM as possible beats stopping at the first problem.
 *
 * Ollama expires the runner asynchronously (server/sched.go expireRunner), so /api/ps may list a
 * model for a moment after its "unload" answer.
 */
export async function unloadAllModels(opts: OllamaActionOptions): Promise<string[]> {
  const client = makeClient(opts);
  let loaded: string[];
  try {
    const ps = ollamaPsWire.parse(await client.ps());
    loaded = (ps.models ?? []).map((m) => m.name);
  } catch (err) {
    throw actionError(opts, 'could not list the loaded models', err);
  }

  const unloaded: string[] = [];
  const failed: ModelFailure[] = [];
  for (const model of loaded) {
    try {
      await client.generate({ model, prompt: '', keep_alive: 0, stream: false });
      unloaded.push(model);
    } catch (err) {
      if (isModelNotFound(err)) continue;
      if (!isHttpError(err)) throw actionError(opts, `could not unload ${model}`, err, { unloaded });
      failed.push({ model, reason: httpReason(err) });
    }
  }
  if (failed.length > 0) {
    throw new OllamaActionError('ollama_refused', `Ollama at ${opts.url} did not unload ${failureList(failed)}`, {
      details: { unloaded, failed },
    });
  }
  return unloaded;
}

/**
 * Loads each model (one after the other: Ollama's scheduler loads one runner at a time anyway,
 * server/sched.go). A model the node does not have goes to `missing`. Models without the
 * "completion" capability (embedding models) answer generate with 400 `"…" does not support
 * generate`; they are loaded through `/api/embed` with an empty input instead (PROTOCOLS.md §1.6).
 *
 * Ollama may evict earlier models to fit later ones (OLLAMA_MAX_LOADED_MODELS, VRAM): `loaded`
 * means "Ollama answered load", not "all of them are resident together".
 */
export async function preloadModels(opts: PreloadOptions): Promise<PreloadResult> {
  const { keepAlive } = opts;
  if (keepAlive !== undefined && isZeroKeepAlive(keepAlive)) {
    // keep_alive 0 with an empty prompt is Ollama's *unload* request: it would answer
    // done_reason "unload" and load nothing (PROTOCOLS.md §1.6).
    throw new AgentError('bad_request', `keepAlive ${JSON.stringify(keepAlive)} would unload the models, not preload them`, { httpStatus: 400 });
  }
  const keep = keepAlive === undefined ? {} : { keep_alive: keepAlive };
  const client = makeClient(opts);
  const result: PreloadResult = { loaded: [], missing: [] };
  const failed: ModelFailure[] = [];
  for (const model of opts.models) {
    try {
      try {
        await client.generate({ model, prompt: '', stream: false, ...keep });
      } catch (err) {
        if (!isNoGenerate(err)) throw err;
        await client.embed({ model, input: [], ...keep });
      }
      result.loaded.push(model);
    } catch (err) {
      if (isModelNotFound(err)) {
        result.missing.push(model);
        continue;
      }
      if (!isHttpError(err)) throw actionError(opts, `could not load ${model}`, err, result);
      failed.push({ model, reason: httpReason(err) });
    }
  }
  if (failed.length > 0) {
    throw new OllamaActionError('ollama_refused', `Ollama at ${opts.url} did not load ${failureList(failed)}`, {
      details: { ...result, failed },
    });
  }
  return result;
}

function makeClient(opts: OllamaActionOptions): Ollama {
  const { signal } = opts;
  // The client takes no per-call signal for non-streaming calls, so it rides on its fetch
  // (same as agent/probe/ollama.ts).
  const fetchWithSignal: typeof fetch = signal === undefined ? opts.fetch : (input, init) => opts.fetch(input, { ...init, signal });
  return new Ollama({ host: opts.url, fetch: fetchWithSignal });
}

/** A non-2xx answer: the client's ResponseError (not exported, so checked by shape). */
function isHttpError(err: unknown): err is Error & { status_code: number } {
  return err instanceof Error && typeof (err as { status_code?: unknown }).status_code === 'number';
}

// PROTOCOLS.md §1.9: generate/chat say `model 'NAME' not found`; the scheduler path says
// `model "NAME" not found, try pulling it first`. Matching the text as well as the 404 keeps a
// proxy's generic 404 page (a wrong URL) from passing as "model missing".
function isModelNotFound(err: unknown): boolean {
  return isHttpError(err) && err.status_code === 404 && /^model (['"]).*\1 not found/.test(err.message);
}

function isNoGenerate(err: unknown): boolean {
  return isHttpError(err) && err.status_code === 400 && /does not support generate$/.test(err.message);
}

function httpReason(err: Error & { status_code: number }): string {
  // 403 with an empty body is Ollama's Host check (PROTOCOLS.md §1.1).
  return err.status_code === 403 ? 'HTTP 403 (OLLAMA_ORIGINS / Host check)' : `HTTP ${err.status_code}: ${err.message}`;
}

function failureList(failed: readonly ModelFailure[]): string {
  return failed.map((f) => `${f.model} (${f.reason})`).join(', ');
}

function actionError(opts: OllamaActionOptions, what: string, err: unknown, done?: unknown): Error {
  // The caller's own abort is not an Ollama problem: hand back its reason untouched.
  if (opts.signal?.aborted) return opts.signal.reason as Error;
  const extra = done === undefined ? {} : { details: done };
  if (isHttpError(err)) return new OllamaActionError('ollama_refused', `${what}: ${httpReason(err)} from ${opts.url}`, { cause: err, ...extra });
  if (err instanceof Error && (err.name === 'ZodError' || err instanceof SyntaxError)) {
    return new OllamaActionError('ollama_bad_answer', `${what}: unexpected answer from ${opts.url} (is this really Ollama?)`, { cause: err, ...extra });
  }
  return new OllamaActionError('ollama_unreachable', `${what}: ${describeFetchError(err, opts.url)}`, { cause: err, ...extra });
}

/** 0, "0", "0s", "0m0s", "-0.0h"…: every spelling of a zero Go duration (time.ParseDuration). */
function isZeroKeepAlive(keepAlive: string | number): boolean {
  if (typeof keepAlive === 'number') return keepAlive === 0;
  const unsigned = keepAlive.replace(/^[+-]/, '');
  return unsigned === '0' || /^(?:(?:0+\.?0*|\.0+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(unsigned);
}
