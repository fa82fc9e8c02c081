/**
 * Manual overrides (issue 4 §4). `offer` and `out` belong to a node's own offer (set on that node,
 * advertised to peers); `pin` belongs to the routing node's policy. All expire by themselves.
 */
import { z } from 'zod';
import { serviceKindSchema } from './offer-schema.js';

export const offerOverrideSchema = z.object({
  /** `offer`: offered now, whatever the windows say; `out`: not offered at all. */
  mode: z.enum(['offer', 'out']),
  /** null = until cleared. */
  untilMs: z.number().nullable(),
  setAtMs: z.number(),
});
export type OfferOverride = z.infer<typeof offerOverrideSchema>;

export const pinSchema = z.object({
  kind: serviceKindSchema,
  nodeId: z.string(),
  untilMs: z.number().nullable(),
  setAtMs: z.number(),
});
export type Pin = z.infer<typeof pinSchema>;

/** Whether an override is in force at `nowMs`. */
export function inForce(o: { untilMs: number | null }, nowMs: number): boolean {
  return o.untilMs === null || o.untilMs > nowMs;
}
