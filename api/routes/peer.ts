/**
 * The peer protocol, served to other agents of the mesh: `GET /api/v1/peer/ping` (liveness and the
 * advert's change counter) and `GET /api/v1/peer/advert`. Requests must be signed with the mesh key
 * and answers are signed back (discovery/peer-auth.ts); an agent of another mesh gets 401 and is
 * logged once.
 */
import { Hono, type Context } from 'hono';
import type { Logger } from '../../agent/log.js';
import type { NodeAdvert } from '../../agent/node-advert.js';
import { AUTH_HEADERS, createRequestVerifier, signResponse } from '../../discovery/peer-auth.js';

export interface PeerRouteDeps {
  /** The mesh key, once loaded (null before start: peers are then refused). */
  key: () => string | null;
  nowMs: () => number;
  log: Logger;
  nodeId: () => string;
  /** The advert's change counter. */
  seq: () => number;
  /** True once this agent has begun to stop: peers then mark it down at once. */
  leaving: () => boolean;
  advert: () => NodeAdvert;
}

export function peerRoutes(deps: PeerRouteDeps): Hono<{ Variables: { nonce: string; key: string } }> {
  let verifier: { key: string; check: ReturnType<typeof createRequestVerifier> } | null = null;
  const app = new Hono<{ Variables: { nonce: string; key: string } }>();

  app.use('/peer/*', async (c, next) => {
    const key = deps.key();
    if (key === null) return c.json({ error: { code: 'not_started', message: 'the agent is starting' } }, 503);
    if (verifier?.key !== key) verifier = { key, check: createRequestVerifier({ key, nowMs: deps.nowMs }) };
    const url = new URL(c.req.url);
    const result = verifier.check.verify({ method: c.req.method, path: url.pathname + url.search, headers: c.req.raw.headers, body: '' });
    if (!result.ok) {
      const remote = c.req.header('x-forwarded-for') ?? 'a client';
      deps.log.once(`peer-auth:${result.reason}:${c.req.header(AUTH_HEADERS.node) ?? remote}`, 'warn', 'refused a peer request', {
        reason: result.reason,
        node: c.req.header(AUTH_HEADERS.node),
      });
      return c.json({ error: { code: 'peer_auth_failed', message: `not a member of this mesh: ${result.reason}` } }, 401);
    }
    c.set('nonce', result.nonce);
    c.set('key', key);
    await next();
  });

  const signed = (c: Context<{ Variables: { nonce: string; key: string } }>, status: 200 | 503, payload: unknown): Response => {
    const body = JSON.stringify(payload);
    const signature = signResponse({ key: c.get('key'), requestNonce: c.get('nonce'), status, body });
    return c.body(body, status, { 'content-type': 'application/json', [AUTH_HEADERS.signature]: signature });
  };

  app.get('/peer/ping', (c) => signed(c, 200, { nodeId: deps.nodeId(), seq: deps.seq(), leaving: deps.leaving() }));
  app.get('/peer/advert', (c) => signed(c, 200, { seq: deps.seq(), advert: deps.advert() }));
  return app;
}
