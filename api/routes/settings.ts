/**
 * The setup page's API (issue 6): `GET /api/v1/settings`, `PUT /api/v1/settings` (admin) with any of
 * `services`, `offer`, `placement` (only keys that differ from the config file are kept, issue 12),
 * `POST /api/v1/settings/reset` (admin) `{ "keys"?: ["offer.coolDownSec"] }` (none = all), and
 * `POST /api/v1/setup/test-connection` (admin: it makes the
 * agent call out) with `{ "kind": "ollama" | "immich-ml" | "agent", "url": "..." }`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { SettingsView } from '../../agent/settings.js';
import { settingsResetSchema, settingsSchema, testConnectionSchema, type Settings, type TestConnectionRequest, type TestConnectionResult } from '../../agent/settings-schema.js';
import { parseBody } from '../body.js';

export interface SettingsRouteDeps {
  view: () => SettingsView;
  save: (change: Settings) => Promise<SettingsView>;
  /** Drops Setup-page overrides (all when `keys` is empty): the config file's values apply again. */
  reset: (keys: string[]) => Promise<{ dropped: string[]; settings: SettingsView }>;
  test: (req: TestConnectionRequest) => Promise<TestConnectionResult>;
}

export function settingsRoutes(deps: SettingsRouteDeps, requireAdmin: MiddlewareHandler): Hono {
  const app = new Hono();
  app.get('/settings', (c) => c.json(deps.view()));
  app.put('/settings', requireAdmin, async (c) => c.json(await deps.save(await parseBody(c.req.raw, settingsSchema))));
  app.post('/settings/reset', requireAdmin, async (c) => c.json(await deps.reset((await parseBody(c.req.raw, settingsResetSchema)).keys)));
  app.post('/setup/test-connection', requireAdmin, async (c) => c.json(await deps.test(await parseBody(c.req.raw, testConnectionSchema))));
  return app;
}
