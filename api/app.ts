/**
 * createApp(deps) builds the Hono app without listening (DESIGN.md §3): tests call `app.request()`
 * in process; api/server.ts puts it on a socket.
 */
import { Hono } from 'hono';
import type { Logger } from '../agent/log.js';
import type { NodeAdvert } from '../discovery/node-advert.js';
import { createErrorHandler, errorResponse } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { nodeRoutes } from './routes/node.js';

export interface AppDeps {
  log: Logger;
  /** This node's advert, built from the latest probe results. */
  advert: () => NodeAdvert;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(createErrorHandler(deps.log));
  app.route('/api/v1', healthRoutes());
  app.route('/api/v1', nodeRoutes(deps));
  app.notFound((c) =>
    errorResponse(c, 404, { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}; the API lives under /api/v1` }),
  );
  return app;
}
