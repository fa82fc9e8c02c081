/**
 * Reads this machine's Tailscale status: on Linux from tailscaled's LocalAPI socket when one is
 * given, otherwise (or when that fails) from `tailscale status --json`, which finds the daemon on
 * every platform by itself (PROTOCOLS.md §4.1). Returns the raw JSON; tailscale-status.ts parses it.
 */
import { request } from 'node:http';
import { AgentError } from '../agent/kernel/errors.js';
import { ExecError, type Exec } from '../agent/kernel/exec.js';
import { TailscaleStatusMalformedError } from './tailscale-status.js';

/** Linux default (PROTOCOLS.md §4.1); `/run/tailscale/…` is the same file where `/var/run` → `/run`. */
export const TAILSCALED_SOCKET_LINUX = '/var/run/tailscale/tailscaled.sock';
/** The only Host tailscaled accepts on its socket besides an empty one (PROTOCOLS.md §4.2). */
export const LOCALAPI_HOST = 'local-tailscaled.sock';
/** The macOS GUI app has no tailscaled socket; its bundled binary doubles as the CLI (PROTOCOLS.md §4.1). */
export const MACOS_APP_CLI = '/Applications/Tailscale.app/Contents/MacOS/Tailscale';
/** The Windows installer's directory (PROTOCOLS.md §4.1 marks it unverified), tried after PATH. */
export const WINDOWS_CLI = 'C:\\Program Files\\Tailscale\\tailscale.exe';
/** The CLI's own bound; the caller's signal usually ends it sooner. */
export const tailscaleCliTimeoutMs = 10_000;
/** A large tailnet's status is a few MB; anything far beyond is not a status. */
const maxBodyBytes = 32 * 1024 * 1024;

/** Neither a tailscaled socket nor a tailscale CLI exists: Tailscale is not used on this machine. */
export class TailscaleUnavailableError extends AgentError {
  constructor(message: string) {
    super('tailscale_unavailable', message, { httpStatus: 503 });
  }
}

/**
 * The LocalAPI could not be asked. `code` is `ENOENT` (no socket file), `ECONNREFUSED` (a stale
 * socket: tailscaled is not running), another errno, or `localapi_http` with `status` set.
 */
export class TailscaleLocalApiError extends AgentError {
  readonly status: number | null;
  constructor(code: string, message: string, status: number | null = null, cause?: unknown) {
    super(code, message, { httpStatus: 502, cause });
    this.status = status;
  }
}

export interface TailscaleClientDeps {
  exec: Exec;
  platform: NodeJS.Platform;
  /** LocalAPI reader (createLocalApiReader), used first on Linux only. */
  localApi?: (signal: AbortSignal) => Promise<unknown>;
}

/**
 * The raw status JSON. On Linux the LocalAPI is tried first when given; on any failure other than
 * the caller's abort the CLI is tried. When the CLI is missing too, a missing socket gives
 * `TailscaleUnavailableError`, any other LocalAPI failure is rethrown (the daemon exists but refused).
 *
 * @example
 * const raw = await readTailscaleStatus({ exec: nodeExec, platform: 'linux', localApi: createLocalApiReader() }, signal);
 */
export async function readTailscaleStatus(deps: TailscaleClientDeps, signal: AbortSignal): Promise<unknown> {
  let localApiError: Error | null = null;
  if (deps.platform === 'linux' && deps.localApi) {
    try {
      return await deps.localApi(signal);
    } catch (err) {
      if (signal.aborted) throw err;
      localApiError = err instanceof Error ? err : new Error(String(err));
    }
  }
  try {
    return await readViaCli(deps.exec, cliCandidates(deps.platform), signal);
  } catch (err) {
    const socketMissing = localApiError instanceof TailscaleLocalApiError && localApiError.code === 'ENOENT';
    if (err instanceof TailscaleUnavailableError && localApiError !== null && !socketMissing) throw localApiError;
    throw err;
  }
}

/** The CLI names to try, in order. */
export function cliCandidates(platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return ['tailscale.exe', WINDOWS_CLI];
  if (platform === 'darwin') return ['tailscale', MACOS_APP_CLI];
  return ['tailscale'];
}

async function readViaCli(exec: Exec, candidates: readonly string[], signal: AbortSignal): Promise<unknown> {
  for (const file of candidates) {
    let stdout: string;
    try {
      ({ stdout } = await exec(file, ['status', '--json'], { timeoutMs: tailscaleCliTimeoutMs, signal }));
    } catch (err) {
      if (err instanceof ExecError && err.code === 'ENOENT') continue;
      throw err;
    }
    // The CLI prints json.MarshalIndent of the same ipnstate.Status, even when logged out (§4.1).
    try {
      return JSON.parse(stdout) as unknown;
    } catch (err) {
      throw new TailscaleStatusMalformedError(`${file} status --json printed no JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new TailscaleUnavailableError(`tailscale not found (tried ${candidates.join(', ')})`);
}

/**
 * A LocalAPI status reader bound to one socket, for `TailscaleClientDeps.localApi`.
 *
 * @example
 * const localApi = createLocalApiReader(); // or '/var/packages/Tailscale/var/tailscaled.sock' on Synology
 */
export function createLocalApiReader(socketPath = TAILSCALED_SOCKET_LINUX): (signal: AbortSignal) => Promise<unknown> {
  return (signal) => readLocalApiStatus(socketPath, signal);
}

/**
 * `GET /localapi/v0/status` over a unix socket. Node sends `Host: localhost` by default, which
 * tailscaled rejects with 403 `invalid localapi request` (PROTOCOLS.md §4.2), hence `host`. Rejects
 * with `TailscaleLocalApiError` (code `ENOENT` when the socket does not exist), with the signal's
 * reason when it aborts, or with `TailscaleStatusMalformedError` for a body that is not JSON.
 */
export function readLocalApiStatus(socketPath: string, signal: AbortSignal, host = LOCALAPI_HOST): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    // agent: false → a fresh connection with `Connection: close`, so nothing idles after the answer.
    const req = request({ socketPath, path: '/localapi/v0/status', method: 'GET', headers: { Host: host }, agent: false });
    const onAbort = (): void => {
      finish(() => reject(abortReason(signal)));
      req.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => finish(() => reject(socketError(socketPath, err))));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          finish(() => reject(new TailscaleLocalApiError('localapi_too_large', `tailscaled LocalAPI answer exceeds ${maxBodyBytes} bytes`)));
          req.destroy();
        } else chunks.push(chunk);
      });
      res.on('error', (err) => finish(() => reject(socketError(socketPath, err))));
      res.on('end', () =>
        finish(() => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            const text = body.trim() || (res.statusMessage ?? '');
            reject(new TailscaleLocalApiError('localapi_http', `tailscaled LocalAPI: HTTP ${status}: ${text}`, status));
            return;
          }
          try {
            resolve(JSON.parse(body) as unknown);
          } catch (err) {
            reject(new TailscaleStatusMalformedError(`tailscaled LocalAPI status is not JSON: ${err instanceof Error ? err.message : String(err)}`));
          }
        }),
      );
    });
    req.end();
  });
}

function socketError(socketPath: string, err: NodeJS.ErrnoException): TailscaleLocalApiError {
  const code = typeof err.code === 'string' ? err.code : 'localapi_failed';
  if (code === 'ENOENT') return new TailscaleLocalApiError(code, `no tailscaled socket at ${socketPath}`);
  if (code === 'ECONNREFUSED') return new TailscaleLocalApiError(code, `tailscaled is not listening on ${socketPath}`);
  return new TailscaleLocalApiError(code, `tailscaled LocalAPI at ${socketPath}: ${err.message}`, null, err);
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}
