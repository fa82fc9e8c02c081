/**
 * Placement, history and manual overrides (issue 4 §3, §4, §6):
 * - `GET /api/v1/placement`: per kind, the elected node and every candidate with its reason;
 * - `GET /api/v1/history?sinceMs=&limit=`: placement changes and actions;
 * - `GET /api/v1/overrides`; `PUT /api/v1/overrides/offer` `{ "mode": "offer" | "out" | "auto", "forSec"?: n }`
 *   (this node's own offer; with `"node"`: another node's, which that node adopts, issue 12); `PUT /api/v1/overrides/pins/<kind>` `{ "node": "<name or id>", "forSec"?: n }`;
 *   `DELETE /api/v1/overrides/pins/<kind>`. Changes need the admin credential (api/admin-auth.ts).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { BadRequestError } from '../../agent/kernel/errors.js';
import type { PlacementAnswer } from '../../scheduler/routing-status.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { kindIdSchema, type KindId } from '../../agent/kernel/kinds.js';
import type { OfferOverride, Pin } from '../../agent/kernel/shapes/override.js';
import { parseBody } from '../body.js';

export interface PlacementRouteDeps {
  placement: () => PlacementAnswer;
  history: (opts: { sinceMs?: number; limit?: number }) => HistoryEntry[];
  overrides: () => { offer: OfferOverride | null; pins: Pin[] };
  /** `node` (name or id) absent = this node; set for another node, it is advertised and that node adopts it (issue 12). */
  setOfferOverride: (mode: 'offer' | 'out' | 'auto', forSec: number | null, node?: string) => Promise<OfferOverride | null>;
  setPin: (kind: KindId, node: string, forSec: number | null) => Promise<Pin>;
  clearPin: (kind: KindId) => Promise<boolean>;
}

const forSec = z.number().int().min(1).max(366 * 86_400).nullable().default(null);
export const offerBody = z.strictObject({ mode: z.enum(['offer', 'out', 'auto']), forSec, node: z.string().min(1).max(255).optional() });
export const pinBody = z.strictObject({ node: z.string().min(1).max(255), forSec });

function kindParam(raw: string): KindId {
  const parsed = kindIdSchema.safeParse(raw);
  if (!parsed.success) throw new BadRequestError(`unknown service kind "${raw}"; use ollama or immich-ml`);
  return parsed.data;
}

function intQuery(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new BadRequestError(`${name} must be a non-negative whole number`);
  return n;
}

export function placementRoutes(deps: PlacementRouteDeps, requireAdmin: MiddlewareHandler): Hono {
  const app = new Hono();
  app.get('/placement', (c) => c.json(deps.placement()));
  app.get('/history', (c) => {
    const sinceMs = intQuery(c.req.query('sinceMs'), 'sinceMs');
    const limit = intQuery(c.req.query('limit'), 'limit');
    return c.json({ entries: deps.history({ ...(sinceMs === undefined ? {} : { sinceMs }), ...(limit === undefined ? {} : { limit }) }) });
  });
  app.get('/overrides', (c) => c.json(deps.overrides()));
  app.put('/overrides/offer', requireAdmin, async (c) => {
    const body = await parseBody(c.req.raw, offerBody);
    return c.json({ offer: await deps.setOfferOverride(body.mode, body.forSec, body.node) });
  });
  app.put('/overrides/pins/:kind', requireAdmin, async (c) => {
    const kind = kindParam(c.req.param('kind'));
    const body = await parseBody(c.req.raw, pinBody);
    return c.json({ pin: await deps.setPin(kind, body.node, body.forSec) });
  });
  app.delete('/overrides/pins/:kind', requireAdmin, async (c) => {
    const kind = kindParam(c.req.param('kind'));
    return (await deps.clearPin(kind)) ? c.json({ removed: kind }) : c.json({ error: { code: 'not_found', message: `no pin for ${kind}` } }, 404);
  });
  return app;
}
