import { Hono } from 'hono';
import type { AppDeps } from '../app.js';

/** `GET /api/v1/node`: this node's full advert (identity, hardware, services, activity). */
export function nodeRoutes(deps: Pick<AppDeps, 'advert'>): Hono {
  return new Hono().get('/node', (c) => c.json(deps.advert()));
}
