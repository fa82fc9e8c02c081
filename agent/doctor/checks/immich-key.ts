/**
 * Check 7: does the Immich API key work for the queue endpoints? They are admin-only (PROTOCOLS.md
 * §3.1): 401 = the key is wrong or revoked, 403 = the key's user is not an admin or the key lacks a
 * permission. `/api/queues` exists from v2.4.0 (§3.3); older servers answer 404 and get `/api/jobs`.
 */
import { httpGet } from '../http.js';
import type { CheckResult, DoctorCheck, DoctorConfig, DoctorDeps } from '../types.js';

const base = { id: 'immich-key', title: 'Immich API key' } as const;

export const ADMIN_KEY_FIX =
  'create an admin API key: log in to Immich as an admin, Account Settings → API Keys → New API Key (permission "all", or queue.read + queue.update), and put it in immich.apiKeyFile';

export const NO_KEY_DETAIL = 'no Immich API key: while no GPU node is offered, photo indexing runs on the CPU (the queues cannot be paused)';
export const NO_KEY_FIX =
  'on the node Immich sends its ML requests to, so indexing waits for the GPU: set immich.serverUrl (the Immich server, port 2283) and immich.apiKeyFile with an admin API key (Immich: Account Settings → API Keys → New API Key, permission "all", or queue.read + queue.update)';

export const checkImmichKey: DoctorCheck = async (config, deps) => {
  const immich = config.immich;
  if (!immich) {
    if (!config.services['immich-ml'].enabled) return { ...base, status: 'skipped', detail: 'immich is not configured' };
    // Without a key nobody can pause the queues, so indexing runs on whatever is eligible, the CPU
    // included, rather than failing (issue 12); with one it waits for a GPU node.
    return { ...base, status: 'warn', detail: NO_KEY_DETAIL, fix: NO_KEY_FIX };
  }
  const key = await readKey(immich, deps);
  if (typeof key !== 'string') return key;
  const server = immich.serverUrl.replace(/\/+$/, '');
  const headers = { accept: 'application/json', 'x-api-key': key };
  let res;
  try {
    res = await httpGet(deps, `${server}/api/queues`, headers);
    if (res.status === 404) res = await httpGet(deps, `${server}/api/jobs`, headers);
  } catch {
    return { ...base, status: 'warn', detail: `Immich does not answer at ${server}`, fix: 'check immich.serverUrl (the Immich server, default port 2283)' };
  }
  return describe(res.status, errorMessage(res.text));
};

async function readKey(immich: NonNullable<DoctorConfig['immich']>, deps: DoctorDeps): Promise<string | CheckResult> {
  if (immich.apiKey !== undefined) return immich.apiKey;
  const file = immich.apiKeyFile ?? '';
  try {
    return (await deps.readFile(file)).trim();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ...base, status: 'problem', detail: `cannot read immich.apiKeyFile ${file}${typeof code === 'string' ? ` (${code})` : ''}`, fix: `put the admin API key in ${file}` };
  }
}

function describe(status: number, said: string | null): CheckResult {
  const quoted = said ? ` (Immich: "${said}")` : '';
  if (status >= 200 && status <= 299) return { ...base, status: 'ok', detail: 'the key may read the job queues' };
  if (status === 401) {
    return { ...base, status: 'problem', detail: `key rejected (401)${quoted}`, fix: 'create a new API key in Immich (Account Settings → API Keys) and update immich.apiKey / immich.apiKeyFile' };
  }
  if (status === 403) return { ...base, status: 'problem', detail: `key without admin rights (403)${quoted}`, fix: ADMIN_KEY_FIX };
  return { ...base, status: 'warn', detail: `Immich answered ${status} to the queue list${quoted}`, fix: 'check immich.serverUrl (the Immich server, default port 2283, not the ML service)' };
}

/** §3.6: `{"message": "..."}` (string, or an array in v2 validation errors). */
function errorMessage(text: string): string | null {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
    return Array.isArray(m) ? m.join('; ') : null;
  } catch {
    return null;
  }
}
