/**
 * One access policy for everything the agent serves through Hono (issue 11): API reads, the UI,
 * `/metrics`, the SSE stream and login answer 403 with the reason to a client outside
 * `proxy.allowedCidrs`, exactly as the routed endpoints do (api/proxy/router.ts). Changes still need
 * the admin credential on top (api/admin-auth.ts).
 *
 * The peer protocol (`/api/v1/peer/*`) is exempt: every request there is signed with the mesh key
 * and checked by its own middleware (api/routes/peer.ts), and peers reach each other over
 * Tailscale or static addresses that the owner need not list in allowedCidrs.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../agent/kernel/log.js';
import { errorResponse } from './errors.js';
import type { AccessPolicy } from './proxy/access.js';

export const PEER_PROTOCOL_PREFIX = '/api/v1/peer/';

export function clientAccess(policy: () => AccessPolicy, log: Logger): MiddlewareHandler {
  return async function clientAccess(c, next) {
    if (c.req.path.startsWith(PEER_PROTOCOL_PREFIX)) return next();
    const remote = remoteAddress(c);
    const verdict = policy().checkNetwork(remote);
    if (verdict.ok) return next();
    // Once per client and code: a scanner must not be able to fill the log.
    log.once(`api-denied:${remote ?? '?'}:${verdict.code}`, 'warn', 'refused a client outside the allowed networks', { client: remote, path: c.req.path });
    return errorResponse(c, verdict.status, { code: verdict.code, message: verdict.message });
  };
}

/** The socket's peer address; undefined for an in-process request (app.request without a socket). */
function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
