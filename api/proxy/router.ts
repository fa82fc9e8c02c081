/**
 * The routed endpoints on a socket: `/ollama/...` and `/immich-ml/...` on the agent port (and the
 * whole path space of the dedicated ports). Raw node:http, in front of the Hono app, so streams
 * pass through with nothing in between. Clients are checked against the allowed networks and the
 * API key first (issue 5 §7).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../agent/errors.js';
import type { Logger } from '../../agent/log.js';
import type { AccessPolicy } from './access.js';
import type { ModelManagementGuard } from './model-management.js';

export type RawHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export interface ProxyRouter {
  /** Handles the request when its path belongs to a routed endpoint; returns false otherwise. */
  handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** A listener for a dedicated port that serves one kind at its root. */
  dedicated: (kind: 'ollama' | 'immich-ml') => (req: IncomingMessage, res: ServerResponse) => void;
}

const PREFIXES = { ollama: '/ollama', 'immich-ml': '/immich-ml' } as const;

export function createProxyRouter(opts: { access: () => AccessPolicy; manage: ModelManagementGuard; ollama: RawHandler; immich: RawHandler; log: Logger }): ProxyRouter {
  const run = (kind: 'ollama' | 'immich-ml', req: IncomingMessage, res: ServerResponse, path: string): void => {
    const verdict = opts.manage(kind, req, path) ?? opts.access().check(req.socket.remoteAddress, req.headers.authorization);
    if (!verdict.ok) {
      opts.log.once(`proxy-denied:${req.socket.remoteAddress ?? '?'}:${verdict.code}`, 'warn', 'refused a client of the routed endpoints', {
        client: req.socket.remoteAddress,
        reason: verdict.message,
      });
      const body = kind === 'ollama' ? JSON.stringify({ error: verdict.message }) : JSON.stringify({ detail: verdict.message });
      res.writeHead(verdict.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', ...('headers' in verdict ? verdict.headers : {}) });
      res.end(body);
      req.resume();
      return;
    }
    const handler = kind === 'ollama' ? opts.ollama : opts.immich;
    handler(req, res, path || '/').catch((err: unknown) => {
      opts.log.error('routed request failed', { kind, path, error: describeError(err) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(kind === 'ollama' ? { error: 'internal error in inference-mesh; see the agent log' } : { detail: 'internal error in inference-mesh' }));
      } else res.destroy();
    });
  };
  return {
    handle(req, res) {
      const url = req.url ?? '/';
      for (const kind of ['ollama', 'immich-ml'] as const) {
        const prefix = PREFIXES[kind];
        if (url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)) {
          run(kind, req, res, url.slice(prefix.length));
          return true;
        }
      }
      return false;
    },
    dedicated: (kind) => (req, res) => run(kind, req, res, req.url ?? '/'),
  };
}
