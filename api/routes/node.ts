import { Hono } from 'hono';
import type { NodeAdvert } from '../../discovery/advert.js';

/** `GET /api/v1/node`: this node's full advert (identity, hardware, services, activity). */
export function nodeRoutes(deps: { advert: () => NodeAdvert }): Hono {
  return new Hono().get('/node', (c) => c.json(deps.advert()));
}
