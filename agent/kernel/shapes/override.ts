/**
 * Manual overrides (issue 4 §4). `offer` and `out` belong to a node's own offer (set on that node,
 * advertised to peers). Pins are mesh-wide (issue 12): the agent they are set on advertises them with
 * the time they were set, and every agent follows the newest per kind, so all agents agree. All
 * expire by themselves.
 */
import { z } from 'zod';
import { kindIdSchema } from '../kinds.js';

export const offerOverrideSchema = z.object({
  /** `offer`: offered now, whatever the windows say; `out`: not offered at all. */
  mode: z.enum(['offer', 'out']),
  /** null = until cleared. */
  untilMs: z.number().nullable(),
  setAtMs: z.number(),
});
export type OfferOverride = z.infer<typeof offerOverrideSchema>;

/**
 * An offer override set on some agent for some node (itself or another), advertised by that agent
 * with the time it was set; `auto` clears. The target node adopts the newest one for itself into its
 * own `offerOverride`, which is what every agent elects from (issue 12).
 */
export const offerOverrideForSchema = z.object({
  nodeId: z.string(),
  mode: z.enum(['offer', 'out', 'auto']),
  untilMs: z.number().nullable(),
  setAtMs: z.number(),
});
export type OfferOverrideFor = z.infer<typeof offerOverrideForSchema>;

/** The newest override for `nodeId` among `entries` (ties: `out` beats `offer` beats `auto`, so every agent picks the same). */
export function newestOfferOverrideFor(nodeId: string, entries: Iterable<OfferOverrideFor>): OfferOverrideFor | undefined {
  const rank = { out: 2, offer: 1, auto: 0 } as const;
  let best: OfferOverrideFor | undefined;
  for (const e of entries) {
    if (e.nodeId !== nodeId) continue;
    if (!best || e.setAtMs > best.setAtMs || (e.setAtMs === best.setAtMs && rank[e.mode] > rank[best.mode])) best = e;
  }
  return best;
}

export const pinSchema = z.object({
  kind: kindIdSchema,
  /** null = the pin was cleared at `setAtMs` (kept so the clearing spreads like a pin does). */
  nodeId: z.string().nullable(),
  untilMs: z.number().nullable(),
  setAtMs: z.number(),
});
export type Pin = z.infer<typeof pinSchema>;

/** Whether an override is in force at `nowMs`. */
export function inForce(o: { untilMs: number | null }, nowMs: number): boolean {
  return o.untilMs === null || o.untilMs > nowMs;
}

/**
 * The pin per kind that the mesh follows: the newest (`setAtMs`, then node id for a tie) among this
 * agent's own and every advert's. A cleared pin (nodeId null) that is newest means "no pin".
 * Clock skew between the agents that set two pins decides which counts as newer.
 */
export function newestPins(own: readonly Pin[], nodes: readonly { advert: { pins?: readonly Pin[] } | null }[]): Pin[] {
  const best = new Map<string, Pin>();
  const consider = (p: Pin): void => {
    const b = best.get(p.kind);
    if (!b || p.setAtMs > b.setAtMs || (p.setAtMs === b.setAtMs && (p.nodeId ?? '') > (b.nodeId ?? ''))) best.set(p.kind, p);
  };
  own.forEach(consider);
  for (const n of nodes) (n.advert?.pins ?? []).forEach(consider);
  return [...best.values()];
}
