/**
 * A node's busy state as it advertises it (issue 4 §1); scheduler/busy.ts computes it from the
 * node's activity facts.
 */
import { z } from 'zod';
import { busyReasonSchema } from './reason.js';

export const busyStateSchema = z.object({
  /** What the node is busy with now (a game; a GPU load past `forSec` when the facts last changed), or null. */
  busy: busyReasonSchema.nullable(),
  busySinceMs: z.number().nullable(),
  /**
   * Since when GPU utilisation has been above the threshold (null while below). Peers judge
   * `forSec` from it with their own timer (scheduler/eligibility.ts), as a steady load changes no facts.
   */
  gpuHotSinceMs: z.number().nullable(),
  /** After the busy spell ends, the node is offered again only from this time on. */
  coolDownUntilMs: z.number().nullable(),
  /** What the node was last busy with (for "cooling down after cs2.exe"). */
  lastBusy: busyReasonSchema.nullable(),
});
export type BusyState = z.infer<typeof busyStateSchema>;

export const idleBusyState: BusyState = { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: null };
