/**
 * Probes a local OpenAI-compatible speech-to-text server (issue 13): `GET /health` says it is up
 * (speaches answers `{"message":"OK"}`, older faster-whisper-server releases plain `OK`; any 2xx
 * counts), then `GET /v1/models` lists its models (`{"data":[{"id":…}],"object":"list"}`).
 */
import { describeFetchError } from '../kernel/fetch-error.js';
import type { ServiceFacts, ServiceProbe } from '../kernel/shapes/facts.js';

const MAX_MODELS = 1000;

function modelIds(body: unknown): string[] | null {
  const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) return null;
  return data.flatMap((m: unknown) => (m && typeof m === 'object' && typeof (m as { id?: unknown }).id === 'string' ? [(m as { id: string }).id] : [])).slice(0, MAX_MODELS);
}

export const probeWhisper: ServiceProbe = async (deps, url, signal) => {
  const base = url.replace(/\/+$/, '');
  const facts = { url, checkedAtMs: deps.nowMs(), version: null, loaded: [] };
  const down = (reason: string): ServiceFacts => ({ ...facts, state: 'down', reason, models: [] });
  try {
    const health = await deps.fetch(`${base}/health`, { signal });
    await health.arrayBuffer();
    if (!health.ok) return down(`HTTP ${health.status} from ${base}/health`);
    const list = await deps.fetch(`${base}/v1/models`, { signal, headers: { accept: 'application/json' } });
    const ids = list.ok ? modelIds(await list.json().catch(() => null)) : null;
    if (ids === null) return down(`unexpected answer from ${base}/v1/models (HTTP ${list.status}): not an OpenAI-compatible model list`);
    return { ...facts, state: 'up', reason: null, models: ids.map((name) => ({ name, sizeBytes: null, family: null, parameterSize: null, quantization: null })) };
  } catch (err) {
    return down(describeFetchError(err, base));
  }
};
