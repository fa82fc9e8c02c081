/**
 * Probes the local Ollama through the official `ollama` client (PROTOCOLS.md §1.11): version,
 * models and loaded models. Down is a result with a reason, not an exception: the caller keeps
 * probing, and the UI says why.
 */
import { Ollama } from 'ollama';
import { describeFetchError } from '../kernel/fetch-error.js';
import type { ServiceFacts } from '../kernel/shapes/facts.js';
import { ollamaPsWire, ollamaTagsWire, ollamaVersionWire } from '../adapters/ollama-wire.js';

export interface OllamaProbeDeps {
  fetch: typeof fetch;
  nowMs: () => number;
}

export async function probeOllama(deps: OllamaProbeDeps, url: string, signal: AbortSignal): Promise<ServiceFacts> {
  // The client has no per-call signal for non-streaming calls, so the signal rides on its fetch.
  const client = new Ollama({ host: url, fetch: (input, init) => deps.fetch(input, { ...init, signal }) });
  const base = { url, checkedAtMs: deps.nowMs() };
  try {
    const [version, tags, ps] = await Promise.all([client.version(), client.list(), client.ps()]);
    const models = ollamaTagsWire.parse(tags).models ?? [];
    const loaded = ollamaPsWire.parse(ps).models ?? [];
    return {
      ...base,
      state: 'up',
      reason: null,
      version: ollamaVersionWire.parse(version).version,
      models: models.map((m) => ({
        name: m.name,
        sizeBytes: m.size,
        family: m.details?.family || null,
        parameterSize: m.details?.parameter_size || null,
        quantization: m.details?.quantization_level || null,
      })),
      loaded: loaded.map((m) => ({
        name: m.name,
        sizeBytes: m.size,
        sizeVramBytes: m.size_vram,
        expiresAt: m.expires_at === undefined ? null : m.expires_at instanceof Date ? m.expires_at.toISOString() : m.expires_at,
      })),
    };
  } catch (err) {
    return { ...base, state: 'down', reason: ollamaReason(err, url), version: null, models: [], loaded: [] };
  }
}

function ollamaReason(err: unknown, url: string): string {
  const status = (err as { status_code?: unknown }).status_code;
  if (typeof status === 'number') {
    // 403 with an empty body is Ollama's Host check (PROTOCOLS.md §1.1).
    if (status === 403) return `HTTP 403 from ${url}: Ollama refused the request (OLLAMA_ORIGINS / Host check)`;
    return `HTTP ${status} from ${url}: ${(err as Error).message}`;
  }
  if (err instanceof Error && err.name === 'ZodError') return `unexpected answer from ${url}: not an Ollama API response`;
  if (err instanceof SyntaxError) return `unexpected answer from ${url}: not JSON (is this really Ollama?)`;
  return describeFetchError(err, url);
}
