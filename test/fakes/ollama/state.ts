/** What the route handlers of the fake Ollama share. */
import type { GenerationEngine, GenerationSettings } from './generation.js';
import { decodeJsonBody, GoStruct } from './go-format.js';
import type { OllamaExchange } from './http-io.js';
import type { ModelRegistry } from './models.js';

export interface OllamaState {
  registry: ModelRegistry;
  engine: GenerationEngine;
  version: string;
  /** Settings for the next generation on `path` (consumes a queued one-shot 'midStream' fault). */
  generationSettings(path: string): GenerationSettings;
  /** Current load delay, for requests that only load a model (no fault is consumed). */
  loadDelayMs(): number;
}

export type DecodeResult = { ok: true; s: GoStruct } | { ok: false; empty: boolean; message: string };

/** gin ShouldBindJSON into a struct: empty body (io.EOF), syntax error or wrong top-level type. */
export function decodeStruct(ex: OllamaExchange, pkg: 'api' | 'openai', structName: string): DecodeResult {
  const decoded = decodeJsonBody(ex.call.rawBody);
  if (decoded.kind === 'empty') return { ok: false, empty: true, message: 'EOF' };
  if (decoded.kind === 'invalid') return { ok: false, empty: false, message: decoded.message };
  const s = new GoStruct(decoded.value, pkg, structName);
  const shapeError = s.shapeError();
  if (shapeError !== undefined) return { ok: false, empty: false, message: shapeError };
  return { ok: true, s };
}

/** A field access on a decoded struct that may throw Go's UnmarshalTypeError text. */
export function readFields<T>(read: () => T): { ok: true; value: T } | { ok: false; message: string } {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/** options.num_predict / num_ctx style integers (anything else is ignored, as Ollama's defaults apply). */
export function intOption(options: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = options?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined;
}
