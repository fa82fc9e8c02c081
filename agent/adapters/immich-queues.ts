/**
 * A small client for the Immich server's job queues: read their state, pause and resume them
 * (PROTOCOLS.md §3). Two API styles exist and the server version picks one (§3.1, §3.3):
 *
 * - legacy `/api/jobs` (every version up to v3.1): `GET /api/jobs` → object keyed by queue name,
 *   `PUT /api/jobs/{name}` `{"command":"pause"|"resume","force":false}` (§3.2);
 * - `/api/queues` (from v2.4.0): `GET /api/queues` → array, `PUT /api/queues/{name}`
 *   `{"isPaused":true|false}` (§3.3).
 *
 * Both need an admin user's API key in `x-api-key` (§3.1). Every failure becomes an
 * {@link ImmichApiError} with a stable code and a sentence that tells the operator what to fix.
 */
import { z } from 'zod';
import { timeoutSignal, type Clock } from '../kernel/clock.js';
import { AgentError } from '../kernel/errors.js';
import { describeFetchError } from '../kernel/fetch-error.js';

/**
 * The queues whose jobs call the ML service (PROTOCOLS.md §2.5, §3.4, exact strings). `ocr` exists
 * from v2.2.0 only; on older servers it is simply absent from the status.
 */
export const ML_BATCH_QUEUES = ['smartSearch', 'faceDetection', 'ocr'] as const;

/** The first version with `/api/queues` (PROTOCOLS.md §3.3). */
export const QUEUES_API_SINCE = { major: 2, minor: 4, patch: 0 } as const;

export type ImmichApiStyle = 'queues' | 'jobs';

export interface ImmichQueueStatus {
  paused: boolean;
  active: number;
  waiting: number;
}

export type ImmichErrorCode = 'immich_unauthorized' | 'immich_forbidden' | 'immich_unreachable' | 'immich_http' | 'immich_bad_response';

/** A failed Immich call. `status` is the HTTP status when there was an answer. */
export class ImmichApiError extends AgentError {
  declare readonly code: ImmichErrorCode;
  readonly status: number | null;
  constructor(code: ImmichErrorCode, message: string, opts: { status?: number; cause?: unknown; details?: unknown } = {}) {
    // 502: the failure is upstream of the agent (the Immich server), not in a request made to us.
    super(code, message, { httpStatus: 502, cause: opts.cause, details: opts.details });
    this.status = opts.status ?? null;
  }
}

export interface ImmichQueuesOptions {
  /** The Immich server, e.g. http://immich.lan:2283 (not the ML service). */
  serverUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  clock: Clock;
  /** Per request, body included. */
  timeoutMs: number;
}

export interface ImmichQueues {
  /** Which API this server has; asked once (`GET /api/server/version`) and then cached. */
  detectApi(signal?: AbortSignal): Promise<ImmichApiStyle>;
  /** Every queue the server has, keyed by queue name. */
  status(signal?: AbortSignal): Promise<Record<string, ImmichQueueStatus>>;
  pause(queue: string, signal?: AbortSignal): Promise<void>;
  resume(queue: string, signal?: AbortSignal): Promise<void>;
}

const count = z.number().int().nonnegative();
// Loose objects: Immich adds fields between versions (`prerelease` in v3, new counters); only the
// fields we use are checked.
const versionSchema = z.looseObject({ major: count, minor: count, patch: count });
const countsSchema = z.looseObject({ active: count, waiting: count });
/** §3.2: `{"jobCounts":{...},"queueStatus":{"isActive":…,"isPaused":…}}`. */
const legacyQueueSchema = z.looseObject({ jobCounts: countsSchema, queueStatus: z.looseObject({ isPaused: z.boolean() }) });
const legacyAllSchema = z.record(z.string(), legacyQueueSchema);
/** §3.3: `{"name":…,"isPaused":…,"statistics":{...}}`. */
const queueSchema = z.looseObject({ name: z.string(), isPaused: z.boolean(), statistics: countsSchema });
const queueListSchema = z.array(queueSchema);

/** §3.6: `message` is a string, or an array of strings for v2 validation errors; v3 adds `errors`. */
const errorBodySchema = z.looseObject({
  message: z.union([z.string(), z.array(z.string())]).optional(),
  errors: z.array(z.looseObject({ message: z.string().optional() })).optional(),
});

function errorMessage(text: string): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success || parsed.data.message === undefined) return null;
  const message = Array.isArray(parsed.data.message) ? parsed.data.message.join('; ') : parsed.data.message;
  const issues = (parsed.data.errors ?? []).flatMap((e) => (e.message ? [e.message] : []));
  return issues.length ? `${message}: ${issues.join('; ')}` : message;
}

interface Call<T> {
  method: 'GET' | 'PUT';
  path: string;
  body?: unknown;
  schema: z.ZodType<T>;
  /** The key is sent only where Immich checks it (`/api/server/version` is public, §3.1). */
  auth: boolean;
  /** The API-key permission this endpoint needs (§3.1), named in 403 messages. */
  permission?: string;
}

export function createImmichQueues(opts: ImmichQueuesOptions): ImmichQueues {
  const base = opts.serverUrl.replace(/\/+$/, '');
  let style: ImmichApiStyle | null = null;

  const request = async <T>(call: Call<T>, parent?: AbortSignal): Promise<T> => {
    const what = `${call.method} ${call.path}`;
    const url = `${base}${call.path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.auth) headers['x-api-key'] = opts.apiKey;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const deadline = timeoutSignal(opts.clock, opts.timeoutMs, parent);
    let status: number;
    let text: string;
    try {
      // No redirects: fetch would replay the x-api-key header to wherever a proxy points us.
      const init: RequestInit = { method: call.method, headers, signal: deadline.signal, redirect: 'error' };
      if (call.body !== undefined) init.body = JSON.stringify(call.body);
      const res = await opts.fetch(url, init);
      status = res.status;
      text = await res.text();
    } catch (err) {
      // The caller's own abort (the agent is stopping) is not an Immich problem: pass it on as is.
      if (parent?.aborted) throw parent.reason;
      const reason: unknown = deadline.signal.aborted ? deadline.signal.reason : err;
      throw new ImmichApiError('immich_unreachable', `could not reach Immich for ${what}: ${describeFetchError(reason, base)}`, { cause: err });
    } finally {
      deadline.cancel();
    }

    if (status < 200 || status > 299) throw httpError(call, status, errorMessage(text));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ImmichApiError('immich_bad_response', `Immich sent something that is not JSON for ${what}; ${notImmichHint(base)}`, { status });
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'invalid';
      throw new ImmichApiError('immich_bad_response', `Immich sent an unexpected answer to ${what} (${where}); ${notImmichHint(base)}`, {
        status,
        details: parsed.error.issues,
      });
    }
    return parsed.data;
  };

  const httpError = (call: Call<unknown>, status: number, said: string | null): ImmichApiError => {
    const what = `${call.method} ${call.path}`;
    const quoted = said ? ` (Immich: "${said}")` : '';
    if (status === 401) {
      // §3.1: "Invalid API key" (wrong/revoked key) or "Authentication required" (none sent).
      return new ImmichApiError('immich_unauthorized', `Immich rejected the API key (401): check immich.apiKey${quoted}`, { status });
    }
    if (status === 403) {
      // §3.1: "Forbidden" = the key's user is not an admin; "Missing required permission: <perm>" =
      // an admin key created with limited scopes. Say which one it is.
      const perm = /^Missing required permission: (\S+)/.exec(said ?? '')?.[1];
      const message = perm
        ? `the Immich API key lacks the ${perm} permission (403): pausing queues needs an admin key with ${perm} (or "all")`
        : `the Immich API key lacks admin rights${call.permission ? ` or the ${call.permission} permission` : ''} (403): pausing queues needs an admin key${quoted}`;
      return new ImmichApiError('immich_forbidden', message, { status });
    }
    if (status === 404 && call.path.startsWith('/api/queues')) style = null; // server downgraded? ask again next time
    const hint = status === 404 ? `; ${notImmichHint(base)}` : '';
    return new ImmichApiError('immich_http', `Immich answered ${status} to ${what}${said ? `: ${said}` : ''}${hint}`, { status });
  };

  const detectApi = async (signal?: AbortSignal): Promise<ImmichApiStyle> => {
    if (style !== null) return style;
    const v = await request({ method: 'GET', path: '/api/server/version', schema: versionSchema, auth: false }, signal);
    // §3.3: /api/queues was added in v2.4.0; the legacy API is still there in v3.1 but deprecated,
    // so newer servers use the new one.
    const atLeast = v.major !== QUEUES_API_SINCE.major ? v.major > QUEUES_API_SINCE.major : v.minor >= QUEUES_API_SINCE.minor;
    style = atLeast ? 'queues' : 'jobs';
    return style;
  };

  const setPaused = async (queue: string, paused: boolean, signal?: AbortSignal): Promise<void> => {
    const name = encodeURIComponent(queue);
    if ((await detectApi(signal)) === 'queues') {
      await request(
        { method: 'PUT', path: `/api/queues/${name}`, body: { isPaused: paused }, schema: queueSchema, auth: true, permission: 'queue.update' },
        signal,
      );
    } else {
      // §3.2: pause/resume map to BullMQ queue.pause()/resume(); `force` only matters for `start`
      // but is sent as documented.
      const body = { command: paused ? 'pause' : 'resume', force: false };
      await request({ method: 'PUT', path: `/api/jobs/${name}`, body, schema: legacyQueueSchema, auth: true, permission: 'job.create' }, signal);
    }
  };

  return {
    detectApi,
    async status(signal) {
      const out: Record<string, ImmichQueueStatus> = {};
      // §3.5: the pause state comes from isPaused / queueStatus.isPaused, never from the counts.
      if ((await detectApi(signal)) === 'queues') {
        const list = await request({ method: 'GET', path: '/api/queues', schema: queueListSchema, auth: true, permission: 'queue.read' }, signal);
        for (const q of list) out[q.name] = { paused: q.isPaused, active: q.statistics.active, waiting: q.statistics.waiting };
      } else {
        const all = await request({ method: 'GET', path: '/api/jobs', schema: legacyAllSchema, auth: true, permission: 'job.read' }, signal);
        for (const [name, q] of Object.entries(all)) {
          out[name] = { paused: q.queueStatus.isPaused, active: q.jobCounts.active, waiting: q.jobCounts.waiting };
        }
      }
      return out;
    },
    pause: (queue, signal) => setPaused(queue, true, signal),
    resume: (queue, signal) => setPaused(queue, false, signal),
  };
}

/** The usual mistake: pointing serverUrl at the ML service (port 3003) instead of the server (2283). */
function notImmichHint(base: string): string {
  return `is immich.serverUrl (${base}) the Immich server (default port 2283), not the ML service?`;
}
