/**
 * The routed endpoints on a socket: `/<kind>/...` for each kind (agent/kernel/kinds.ts) on the agent port (and the
 * whole path space of the dedicated ports), plus the peer relay `/api/v1/peer/relay/<kind>/...`.
 * Raw node:http, in front of the Hono app, so streams pass through with nothing in between. The
 * path after the prefix must be a plain path (routed-path.ts, issue 10 §2); clients of the routed
 * endpoints are checked against the allowed networks and the API key; relayed requests carry the
 * mesh key's signature instead, checked by the relay handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../agent/kernel/errors.js';
import type { Logger } from '../../agent/kernel/log.js';
import { KIND_IDS, KINDS, type KindId } from '../../agent/kernel/kinds.js';
import type { AccessPolicy } from './access.js';
import { sendKindError } from './kind-errors.js';
import { checkRoutedPath } from './routed-path.js';
import { RELAY_PREFIX } from './targets.js';
import type { ModelManagementGuard } from './model-management.js';

export type RawHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
export type RelayHandler = (req: IncomingMessage, res: ServerResponse, kind: KindId, path: string) => Promise<void>;

export interface ProxyRouter {
  /** Handles the request when its path belongs to a routed endpoint; returns false otherwise. */
  handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** A listener for a dedicated port that serves one kind at its root. */
  dedicated: (kind: KindId) => (req: IncomingMessage, res: ServerResponse) => void;
}


/** `/ollama`, `/ollama/x` and `/ollama?x` belong to the prefix; `/ollamax` does not. */
function under(url: string, prefix: string): boolean {
  return url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`);
}

export function createProxyRouter(opts: {
  access: () => AccessPolicy;
  manage: ModelManagementGuard;
  /** The routed endpoint of each kind, at `KINDS[kind].prefix`. */
  handlers: Readonly<Record<KindId, RawHandler>>;
  relay: RelayHandler;
  log: Logger;
}): ProxyRouter {
  const failed = (kind: KindId, path: string, res: ServerResponse) => (err: unknown) => {
    opts.log.error('routed request failed', { kind, path, error: describeError(err) });
    if (!res.headersSent) sendKindError(res, kind, path, 500, 'internal error in inference-mesh; see the agent log');
    else res.destroy();
  };

  /** Refuses a path that is not a plain path on the service (400, in the kind's error shape). */
  const validPath = (kind: KindId, raw: string, req: IncomingMessage, res: ServerResponse): string | null => {
    const checked = checkRoutedPath(raw);
    if (checked.ok) return checked.path;
    opts.log.once(`proxy-bad-path:${req.socket.remoteAddress ?? '?'}`, 'warn', 'refused a routed request with a path that is not a plain path', { client: req.socket.remoteAddress, reason: checked.reason });
    sendKindError(res, kind, '/', 400, `invalid path: ${checked.reason}`);
    req.resume();
    return null;
  };

  const run = (kind: KindId, req: IncomingMessage, res: ServerResponse, raw: string): void => {
    // Model management needs the admin credential (issue 11); everything else the client policy.
    const verdict = opts.manage(kind, req, raw) ?? opts.access().check(req.socket.remoteAddress, req.headers.authorization);
    if (!verdict.ok) {
      opts.log.once(`proxy-denied:${req.socket.remoteAddress ?? '?'}:${verdict.code}`, 'warn', 'refused a client of the routed endpoints', {
        client: req.socket.remoteAddress,
        reason: verdict.message,
      });
      sendKindError(res, kind, raw, verdict.status, verdict.message, { connection: 'close', ...('headers' in verdict ? verdict.headers : {}) });
      req.resume();
      return;
    }
    const path = validPath(kind, raw, req, res);
    if (path === null) return;
    opts.handlers[kind](req, res, path).catch(failed(kind, path, res));
  };

  const relay = (req: IncomingMessage, res: ServerResponse, rest: string): void => {
    const kind = KIND_IDS.find((k) => under(rest, `/${k}`));
    if (!kind) {
      sendKindError(res, 'ollama', '/', 404, `no relay for ${rest.split('?')[0] ?? ''}; kinds: ${KIND_IDS.join(', ')}`);
      req.resume();
      return;
    }
    const path = validPath(kind, rest.slice(kind.length + 1), req, res);
    if (path === null) return;
    opts.relay(req, res, kind, path).catch(failed(kind, path, res));
  };

  return {
    handle(req, res) {
      const url = req.url ?? '/';
      if (url.startsWith(`${RELAY_PREFIX}/`)) {
        relay(req, res, url.slice(RELAY_PREFIX.length));
        return true;
      }
      for (const kind of KIND_IDS) {
        const prefix = KINDS[kind].prefix;
        if (under(url, prefix)) {
          run(kind, req, res, url.slice(prefix.length));
          return true;
        }
      }
      return false;
    },
    dedicated: (kind) => (req, res) => run(kind, req, res, req.url ?? '/'),
  };
}
