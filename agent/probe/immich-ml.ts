/**
 * Probes the local Immich machine-learning service the way the Immich server does: `GET /ping`
 * answering `pong` (PROTOCOLS.md §2.1, §2.5).
 */
import { describeFetchError } from '../kernel/fetch-error.js';
import type { ServiceFacts } from '../kernel/shapes/facts.js';

export interface ImmichMlProbeDeps {
  fetch: typeof fetch;
  nowMs: () => number;
}

export async function probeImmichMl(deps: ImmichMlProbeDeps, url: string, signal: AbortSignal): Promise<ServiceFacts> {
  const base = { url, checkedAtMs: deps.nowMs(), version: null, models: [], loaded: [] };
  // Immich v3 resolves 'ping' relative to the URL, so a path prefix with a trailing slash works.
  const pingUrl = new URL('ping', url.endsWith('/') ? url : `${url}/`).toString();
  try {
    const res = await deps.fetch(pingUrl, { signal });
    const body = (await res.text()).trim();
    if (!res.ok) return { ...base, state: 'down', reason: `HTTP ${res.status} from ${pingUrl}` };
    if (body !== 'pong') return { ...base, state: 'down', reason: `unexpected answer from ${pingUrl}: not Immich ML (no "pong")` };
    return { ...base, state: 'up', reason: null };
  } catch (err) {
    return { ...base, state: 'down', reason: describeFetchError(err, url) };
  }
}
