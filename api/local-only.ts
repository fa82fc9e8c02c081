/**
 * Until the admin credential exists (issue 6), changes to the mesh are accepted only from the
 * agent's own machine: a client on the LAN must not be able to add a peer that we would then route
 * family chats to.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.js';

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || /^127\./.test(a);
}

function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // In-process requests (app.request without a socket) have no remote address.
    return undefined;
  }
}

export const localOnly: MiddlewareHandler = async (c, next) => {
  if (!isLoopback(remoteAddress(c))) {
    return errorResponse(c, 403, {
      code: 'forbidden',
      message: 'this change is accepted only from the agent\'s own machine (127.0.0.1 or ::1); run the command there',
    });
  }
  await next();
};
