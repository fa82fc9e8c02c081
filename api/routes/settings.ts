/**
 * The setup page's API (issue 6): `GET /api/v1/settings`, `PUT /api/v1/settings` (admin) with any of
 * `services`, `offer`, `placement` (only keys that differ from the config file are kept, issue 12),
 * `POST /api/v1/settings/reset` (admin) `{ "keys"?: ["offer.coolDownSec"] }` (none = all), and
 * `GET /api/v1/nodes/{nodeId}/settings` and `PUT …` (admin): any node's settings, changed over the
 * mesh (issue 16), `POST /api/v1/setup/test-connection` (admin: it makes the
 * agent call out) with `{ "kind": "ollama" | "immich-ml" | "agent", "url": "..." }`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { SettingsView } from '../../agent/kernel/shapes/settings.js';
import { settingsResetSchema, settingsSchema, testConnectionSchema, type Settings, type TestConnectionRequest, type TestConnectionResult } from '../../agent/kernel/shapes/settings.js';
import { parseBody } from '../body.js';
import { AgentError } from '../../agent/kernel/errors.js';

export interface SettingsRouteDeps {
  view: () => SettingsView;
  save: (change: Settings) => Promise<SettingsView>;
  /** Drops Setup-page overrides (all when `keys` is empty): the config file's values apply again. */
  reset: (keys: string[]) => Promise<{ dropped: string[]; settings: SettingsView }>;
  test: (req: TestConnectionRequest) => Promise<TestConnectionResult>;
  /** Any node's settings by node id: this node's own, or another's over the mesh (issue 16). */
  remote: { view: (nodeId: string) => Promise<SettingsView>; save: (nodeId: string, change: Settings) => Promise<SettingsView> };
}

function nodeIdParam(raw: string): string {
  if (!/^[0-9a-f]{32}$/.test(raw)) throw new AgentError('bad_request', 'the node id must be 32 lowercase hex digits (see GET /api/v1/nodes)', { httpStatus: 400 });
  return raw;
}

export function settingsRoutes(deps: SettingsRouteDeps, requireAdmin: MiddlewareHandler): Hono {
  const app = new Hono();
  app.get('/settings', (c) => c.json(deps.view()));
  app.put('/settings', requireAdmin, async (c) => c.json(await deps.save(await parseBody(c.req.raw, settingsSchema))));
  app.post('/settings/reset', requireAdmin, async (c) => c.json(await deps.reset((await parseBody(c.req.raw, settingsResetSchema)).keys)));
  // One place to set up the mesh (issue 16): the hub's Setup page reads and changes every node's
  // settings; a change travels to that node signed with the mesh key and is kept there.
  app.get('/nodes/:nodeId/settings', async (c) => c.json(await deps.remote.view(nodeIdParam(c.req.param('nodeId')))));
  app.put('/nodes/:nodeId/settings', requireAdmin, async (c) => {
    const nodeId = nodeIdParam(c.req.param('nodeId'));
    return c.json(await deps.remote.save(nodeId, await parseBody(c.req.raw, settingsSchema)));
  });
  app.post('/setup/test-connection', requireAdmin, async (c) => c.json(await deps.test(await parseBody(c.req.raw, testConnectionSchema))));
  return app;
}
