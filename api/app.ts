/**
 * createApp(deps) builds the Hono app without listening (DESIGN.md §3): tests call `app.request()`
 * in process; api/server.ts puts it on a socket.
 */
import { Hono } from 'hono';
import type { Logger } from '../agent/kernel/log.js';
import type { StaticPeers } from '../discovery/static-peers.js';
import type { NodeAdvert } from '../discovery/advert.js';
import type { NodeRecord } from '../discovery/types.js';
import { createAdminAuth, type AdminAuthOptions } from './admin-auth.js';
import { createErrorHandler, errorResponse } from './errors.js';
import { apiBodyLimit } from './body-limit.js';
import { clientAccess } from './client-access.js';
import type { AccessPolicy } from './proxy/access.js';
import { healthRoutes } from './routes/health.js';
import { nodeRoutes } from './routes/node.js';
import { nodesRoutes } from './routes/nodes.js';
import { peerRoutes, type PeerRouteDeps } from './routes/peer.js';
import { peersRoutes } from './routes/peers.js';
import { placementRoutes, type PlacementRouteDeps } from './routes/placement.js';
import type { ProxyStats } from './proxy/stats.js';
import { statsRoutes } from './routes/stats.js';
import { speedRoutes } from './routes/speed.js';
import { openApiRoutes } from './routes/openapi.js';
import { settingsRoutes, type SettingsRouteDeps } from './routes/settings.js';
import { AGENT_VERSION } from '../agent/kernel/version.js';
import { eventsRoutes, type EventsDeps } from './routes/events.js';
import { benchRoutes, type BenchRouteDeps } from './routes/bench.js';

export interface AppDeps {
  log: Logger;
  /** This node's advert, built from the latest probe results. */
  advert: () => NodeAdvert;
  /** The registry's view of the mesh. */
  nodes: () => NodeRecord[];
  staticPeers: () => StaticPeers;
  peer: Omit<PeerRouteDeps, 'advert' | 'log'>;
  placement: PlacementRouteDeps;
  stats: () => ProxyStats;
  events: EventsDeps;
  admin: AdminAuthOptions;
  settings: SettingsRouteDeps;
  /** The web UI's pages and assets, mounted at `/` (the composition root builds them: api and web never import each other). */
  ui: Hono;
  /** Who may be served at all (`proxy.allowedCidrs`, the same policy as the routed endpoints). */
  access: () => AccessPolicy;
  /** `POST /api/v1/bench` (issue 15). */
  bench: BenchRouteDeps;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(createErrorHandler(deps.log));
  // Before every route: a refused client's body is never read.
  app.use('*', clientAccess(deps.access, deps.log.child('access')));
  app.use('/api/v1/*', apiBodyLimit());
  app.route('/api/v1', healthRoutes());
  app.route('/api/v1', nodeRoutes(deps));
  app.route('/api/v1', nodesRoutes(deps));
  // The admin's clock is the agent's one clock (the answer says when it was made).
  app.route('/api/v1', speedRoutes({ nodes: deps.nodes, nowMs: deps.admin.nowMs }));
  const admin = createAdminAuth(deps.admin);
  app.route('/api/v1', admin.routes());
  app.route('/api/v1', peersRoutes({ staticPeers: deps.staticPeers, requireAdmin: admin.middleware }));
  app.route('/api/v1', placementRoutes(deps.placement, admin.middleware));
  app.route('/api/v1', settingsRoutes(deps.settings, admin.middleware));
  app.route('/api/v1', benchRoutes(deps.bench, admin.middleware));
  app.route('/', deps.ui);
  app.route('/', statsRoutes({ stats: deps.stats }));
  app.route('/', openApiRoutes({ version: AGENT_VERSION }));
  app.route('/api/v1', eventsRoutes(deps.events));
  app.route('/api/v1', peerRoutes({ ...deps.peer, advert: deps.advert, log: deps.log.child('peer') }));
  app.notFound((c) =>
    errorResponse(c, 404, { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}; the API lives under /api/v1` }),
  );
  return app;
}
