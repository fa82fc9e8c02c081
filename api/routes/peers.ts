/**
 * Static peers for networks that block multicast: `GET /api/v1/peers`, `POST /api/v1/peers` with
 * `{ "url": "http://10.0.0.5:7650" }` (an agent) or `{ "name": "nas", "urls": { "ollama": "..." } }` (a plain
 * endpoint), `DELETE /api/v1/peers` with `{ "url": ... }` or `{ "name": ... }`. Persisted.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { StaticPeers } from '../../discovery/static-peers.js';
import { serviceEndpointSchema } from '../../discovery/endpoint-schema.js';
import { httpUrlSchema } from '../../agent/kernel/shapes/http-url.js';
import { parseBody } from '../body.js';

export const addPeerSchema = z.union([z.strictObject({ url: httpUrlSchema }), serviceEndpointSchema]);
export const removePeerSchema = z.union([z.strictObject({ url: httpUrlSchema }), z.strictObject({ name: z.string().min(1).max(63) })]);

export function peersRoutes(deps: { staticPeers: () => StaticPeers; requireAdmin: MiddlewareHandler }): Hono {
  const app = new Hono();
  app.get('/peers', (c) => c.json({ peers: deps.staticPeers().urls(), endpoints: deps.staticPeers().endpoints() }));
  app.post('/peers', deps.requireAdmin, async (c) => {
    const body = await parseBody(c.req.raw, addPeerSchema);
    if ('url' in body) await deps.staticPeers().addUrl(body.url);
    else await deps.staticPeers().addEndpoint(body);
    return c.json({ added: body }, 201);
  });
  app.delete('/peers', deps.requireAdmin, async (c) => {
    const body = await parseBody(c.req.raw, removePeerSchema);
    if ('url' in body) await deps.staticPeers().removeUrl(body.url);
    else await deps.staticPeers().removeEndpoint(body.name);
    return c.json({ removed: body });
  });
  return app;
}
