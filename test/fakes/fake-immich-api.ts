/**
 * A faithful fake of the Immich *server* API for the job queues (PROTOCOLS.md §3), per version:
 * `GET /api/server/ping|version` (public), the legacy `GET/PUT /api/jobs[/{name}]` (§3.2) and, from
 * v2.4.0, `GET/PUT /api/queues[/{name}]` (§3.3). Auth as Immich's AuthService.authenticate: no key
 * → 401 "Authentication required", unknown key → 401 "Invalid API key", non-admin → 403
 * "Forbidden", admin key with limited scopes → 403 "Missing required permission: <perm>" (§3.1).
 * Error bodies follow §3.6: NestJS `{message,error,statusCode}` in v2, `{message}` in v3.
 *
 * @example
 *   const immich = createFakeImmichApi({ version: '3.1.0', apiKeys: { admin: 'k' } });
 *   await immich.start();
 *   immich.setPaused('smartSearch', true); // a human paused it in the web UI
 *   await immich.stop();
 */
import { withServerHandle } from './shared/server-handle.js';
import { createCallLog } from './shared/call-log.js';
import { createHttpHarness } from './shared/http-harness.js';
import type { BaseCall, Exchange } from './shared/http-harness.js';

export interface FakeImmichApiOptions {
  /** `major.minor.patch`, e.g. '2.3.1' (legacy API only) or '3.1.0' (both APIs). */
  version: string;
  apiKeys: {
    /** An admin user's key with scope `all`. */
    admin: string;
    /** A key of a user who is not an admin. */
    nonAdmin?: string;
    /** An admin user's key created with only these scopes (e.g. ['job.read']). */
    limited?: { key: string; permissions: string[] };
  };
  host?: string;
  port?: number;
}

/** One queue's state; tests may change it directly. `isPaused` is BullMQ's global pause (§3.5). */
export interface FakeQueue {
  isPaused: boolean;
  active: number;
  waiting: number;
  completed: number;
  failed: number;
  delayed: number;
}

export interface ImmichApiCall extends BaseCall {
  /** The `x-api-key` header (or `?apiKey=`), when sent. */
  apiKey?: string;
  /** The parsed JSON body; the raw text when it was not JSON; absent when empty. */
  body?: unknown;
}

export interface FakeImmichApi {
  start(): Promise<void>;
  /** Closes the server and destroys open connections; idempotent. */
  stop(): Promise<void>;
  readonly url: string;
  readonly port: number;
  readonly version: string;
  /** Every request in arrival order. */
  readonly calls: ImmichApiCall[];
  clearCalls(): void;
  waitForCall(predicate: (call: ImmichApiCall) => boolean, timeoutMs?: number): Promise<ImmichApiCall>;
  /** The queues this version has, keyed by the exact names of §3.4. */
  readonly queues: Record<string, FakeQueue>;
  /** What an admin clicking pause/resume in the web UI does. */
  setPaused(name: string, paused: boolean): void;
}

/** §3.4 in v3.1.0 order, with the version each one appeared in. */
const QUEUE_NAMES: [string, number][] = [
  ...['thumbnailGeneration', 'metadataExtraction', 'videoConversion', 'faceDetection', 'facialRecognition', 'smartSearch', 'duplicateDetection']
    .map((n): [string, number] => [n, 0]),
  ...['backgroundTask', 'storageTemplateMigration', 'migration', 'search', 'sidecar', 'library', 'notifications', 'backupDatabase']
    .map((n): [string, number] => [n, 0]),
  ['ocr', 20200],
  ['workflow', 20400],
  ['integrityCheck', 30100],
  ['editor', 20700],
];
/** §3.2: queues with a `start` action. */
const STARTABLE = new Set(['thumbnailGeneration', 'metadataExtraction', 'videoConversion', 'smartSearch', 'duplicateDetection', 'faceDetection',
  'facialRecognition', 'sidecar', 'library', 'storageTemplateMigration', 'migration', 'backupDatabase', 'ocr']);
const COMMANDS = ['start', 'pause', 'resume', 'empty', 'clear-failed'];
const QUEUES_API_SINCE = 20400;
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

type ApiExchange = Exchange<ImmichApiCall>;

/** A validation failure: a value outside an enum (`values`) or a non-boolean. */
interface Issue {
  path: string;
  values?: string[];
}

/** Thrown by handlers, rendered by the version's exception filter (§3.6). */
class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly issues?: Issue[]) {
    super(message);
  }
}

/** v3 (nestjs-zod): zod 4 issues. */
const zodIssue = (i: Issue) =>
  i.values
    ? { code: 'invalid_value', values: i.values, path: [i.path], message: `Invalid option: expected one of ${i.values.map((x) => JSON.stringify(x)).join('|')}` }
    : { expected: 'boolean', code: 'invalid_type', path: [i.path], message: 'Invalid input: expected boolean' };
/** v2 (class-validator): one sentence per issue. */
const classValidatorMessage = (i: Issue): string =>
  i.values ? `${i.path} must be one of the following values: ${i.values.join(', ')}` : `${i.path} must be a boolean value`;

export function createFakeImmichApi(opts: FakeImmichApiOptions): FakeImmichApi {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(opts.version);
  if (!match) throw new Error(`fake-immich-api: version must be major.minor.patch, not ${opts.version}`);
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const v = major * 10000 + minor * 100 + patch;
  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.|::1$|localhost$)/.test(host)) throw new Error(`fake-immich-api listens on loopback only, not ${host}`);

  const queues: Record<string, FakeQueue> = {};
  for (const [name, since] of QUEUE_NAMES) {
    if (v >= since) queues[name] = { isPaused: false, active: 0, waiting: 0, completed: 0, failed: 0, delayed: 0 };
  }
  const names = Object.keys(queues);
  const log = createCallLog<ImmichApiCall>();
  let correlation = 0;

  function sendJson(ex: ApiExchange, status: number, value: unknown, headers: Record<string, string> = {}): void {
    if (ex.res.headersSent || ex.res.destroyed) return;
    const body = JSON.stringify(value);
    ex.res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers, 'content-length': Buffer.byteLength(body) });
    ex.res.end(body);
  }

  /** §3.6: NestJS's default body in v2; v3's GlobalExceptionFilter drops `error`/`statusCode`. */
  function sendError(ex: ApiExchange, err: HttpError): void {
    const headers = { 'x-correlation-id': `fake-${++correlation}` };
    if (major >= 3) {
      const body = err.issues ? { message: 'Validation failed', errors: err.issues.map(zodIssue) } : { message: err.message };
      sendJson(ex, err.status, body, headers);
      return;
    }
    // class-validator puts an array of strings in `message` (§3.6).
    const message = err.issues ? err.issues.map(classValidatorMessage) : err.message;
    sendJson(ex, err.status, { message, error: STATUS_TEXT[err.status] ?? 'Error', statusCode: err.status }, headers);
  }

  /** AuthService.authenticate order: 401 (no/unknown key), then admin (403), then scope (403). */
  function authenticate(call: ImmichApiCall, permission: string): void {
    if (call.apiKey === undefined || call.apiKey === '') throw new HttpError(401, 'Authentication required');
    const { admin, nonAdmin, limited } = opts.apiKeys;
    if (call.apiKey === nonAdmin) throw new HttpError(403, 'Forbidden');
    if (limited && call.apiKey === limited.key) {
      if (!limited.permissions.includes(permission) && !limited.permissions.includes('all')) {
        throw new HttpError(403, `Missing required permission: ${permission}`);
      }
      return;
    }
    if (call.apiKey !== admin) throw new HttpError(401, 'Invalid API key');
  }

  /** The path parameter: guards run before pipes, so auth errors win over validation (NestJS). */
  function queueParam(raw: string): FakeQueue {
    const name = decodeURIComponent(raw);
    const queue = queues[name];
    // §3.2: in v2.0.x the path parameter was called `id`.
    if (!queue) throw new HttpError(400, 'Validation failed', [{ path: major === 2 && minor === 0 ? 'id' : 'name', values: names }]);
    return queue;
  }

  const counts = (q: FakeQueue) => ({ active: q.active, completed: q.completed, failed: q.failed, delayed: q.delayed, waiting: q.waiting, paused: 0 });
  // §3.2/§3.3 shapes. `paused` stays 0: §3.5, the pause flag is not derived from counts.
  const legacyView = (q: FakeQueue) => ({ jobCounts: counts(q), queueStatus: { isActive: q.active > 0, isPaused: q.isPaused } });
  const queueView = (name: string, q: FakeQueue) => ({ name, isPaused: q.isPaused, statistics: counts(q) });

  /** express.json(): only a JSON content type is parsed; anything else leaves the body `{}`. */
  function jsonBody(ex: ApiExchange): Record<string, unknown> {
    const type = (ex.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json' || ex.body.length === 0) return {};
    const parsed: unknown = JSON.parse(ex.body.toString('utf8')); // SyntaxError → 400 below
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }

  function legacyCommand(ex: ApiExchange, name: string, q: FakeQueue): void {
    const body = jsonBody(ex);
    if (typeof body.command !== 'string' || !COMMANDS.includes(body.command)) {
      throw new HttpError(400, 'Validation failed', [{ path: 'command', values: COMMANDS }]);
    }
    if (body.force !== undefined && typeof body.force !== 'boolean') {
      throw new HttpError(400, 'Validation failed', [{ path: 'force' }]);
    }
    switch (body.command) {
      case 'pause':
        q.isPaused = true;
        break;
      case 'resume':
        q.isPaused = false;
        break;
      case 'empty':
        q.waiting = 0;
        break;
      case 'clear-failed':
        q.failed = 0;
        break;
      case 'start':
        if (!STARTABLE.has(name)) throw new HttpError(400, `Invalid job name: ${name}`);
        if (q.active > 0) throw new HttpError(400, 'Job is already running');
        break;
    }
    sendJson(ex, 200, legacyView(q));
  }

  function updateQueue(ex: ApiExchange, name: string, q: FakeQueue): void {
    const { isPaused } = jsonBody(ex);
    if (isPaused !== undefined && typeof isPaused !== 'boolean') {
      throw new HttpError(400, 'Validation failed', [{ path: 'isPaused' }]);
    }
    if (isPaused === true && name === 'backgroundTask') throw new HttpError(400, 'The BackgroundTask queue cannot be paused');
    if (isPaused !== undefined) q.isPaused = isPaused;
    sendJson(ex, 200, queueView(name, q));
  }

  function route(ex: ApiExchange): void {
    const { method, path } = ex.call;
    if (method === 'GET' && path === '/api/server/ping') return sendJson(ex, 200, { res: 'pong' });
    if (method === 'GET' && path === '/api/server/version') {
      return sendJson(ex, 200, major >= 3 ? { major, minor, patch, prerelease: null } : { major, minor, patch });
    }
    if (method === 'GET' && path === '/api/jobs') {
      authenticate(ex.call, 'job.read');
      return sendJson(ex, 200, Object.fromEntries(names.map((n) => [n, legacyView(queues[n] as FakeQueue)])));
    }
    const jobMatch = /^\/api\/jobs\/([^/]+)$/.exec(path);
    if (method === 'PUT' && jobMatch?.[1] !== undefined) {
      authenticate(ex.call, 'job.create');
      const q = queueParam(jobMatch[1]);
      return legacyCommand(ex, decodeURIComponent(jobMatch[1]), q);
    }
    if (v >= QUEUES_API_SINCE) {
      if (method === 'GET' && path === '/api/queues') {
        authenticate(ex.call, 'queue.read');
        return sendJson(ex, 200, names.map((n) => queueView(n, queues[n] as FakeQueue)));
      }
      const queueMatch = /^\/api\/queues\/([^/]+)$/.exec(path);
      if (queueMatch?.[1] !== undefined && (method === 'GET' || method === 'PUT')) {
        authenticate(ex.call, method === 'GET' ? 'queue.read' : 'queue.update');
        const q = queueParam(queueMatch[1]);
        const name = decodeURIComponent(queueMatch[1]);
        return method === 'GET' ? sendJson(ex, 200, queueView(name, q)) : updateQueue(ex, name, q);
      }
    }
    // Express/NestJS 404 for an unrouted path, before any guard runs: `/api/queues` on < v2.4.0.
    throw new HttpError(404, `Cannot ${method} ${path}`);
  }

  const harness = createHttpHarness<ImmichApiCall>({
    name: 'fake-immich-api',
    host,
    port: opts.port ?? 0,
    keepAliveTimeoutMs: 5_000,
    log,
    makeCall(base, body) {
      const call: ImmichApiCall = { ...base };
      const header = base.headers['x-api-key'];
      const query = new URL(base.url, 'http://fake').searchParams.get('apiKey');
      const key = typeof header === 'string' ? header : query;
      if (key !== null) call.apiKey = key;
      if (body.length > 0) {
        const text = body.toString('utf8');
        try {
          call.body = JSON.parse(text);
        } catch {
          call.body = text;
        }
      }
      return call;
    },
    handle(ex) {
      try {
        route(ex);
      } catch (err) {
        if (err instanceof HttpError) sendError(ex, err);
        else if (err instanceof SyntaxError) sendError(ex, new HttpError(400, err.message)); // body-parser
        else throw err;
      }
    },
    onStop: () => undefined,
  });

  return withServerHandle(harness, log, {
    version: opts.version,
    queues,
    setPaused(name, paused) {
      const q = queues[name];
      if (!q) throw new Error(`fake-immich-api ${opts.version} has no queue ${name}; it has ${names.join(', ')}`);
      q.isPaused = paused;
    },
  });
}
