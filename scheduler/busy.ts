/**
 * "Not while a game runs" (issue 4 §1): each node tracks its own busy state from its activity
 * facts and advertises the result, so every agent elects from the same inputs. Pure: the previous
 * state, the latest facts and `nowMs` in; the next state out.
 */
import { z } from 'zod';
import type { ActivityFacts } from '../agent/probe/facts.js';
import type { Offer } from './offer-schema.js';

export const busyStateSchema = z.object({
  /** Why the node is busy now ("game running: cs2.exe", "GPU busy: 85 % for 30 s"), or null. */
  busy: z.string().nullable(),
  busySinceMs: z.number().nullable(),
  /** Since when GPU utilisation has been above the threshold (null while below). */
  gpuHotSinceMs: z.number().nullable(),
  /** After the busy spell ends, the node is offered again only from this time on. */
  coolDownUntilMs: z.number().nullable(),
  /** What the node was last busy with (for "cooling down after cs2.exe"). */
  lastBusy: z.string().nullable(),
});
export type BusyState = z.infer<typeof busyStateSchema>;

export const idleBusyState: BusyState = { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: null };

export function trackBusy(prev: BusyState, activity: ActivityFacts | null, offer: Pick<Offer, 'notWhile' | 'coolDownSec'>, nowMs: number): BusyState {
  const watched = new Set(offer.notWhile.processes.map((p) => p.toLowerCase()));
  const games = (activity?.runningProcesses ?? []).filter((p) => watched.has(p.toLowerCase()));
  const threshold = offer.notWhile.gpuUtilizationPct;
  const util = activity?.gpuUtilizationPct ?? null;
  const hot = threshold !== null && util !== null && util > threshold;
  const gpuHotSinceMs = hot ? (prev.gpuHotSinceMs ?? nowMs) : null;
  const gpuBusy = hot && gpuHotSinceMs !== null && nowMs - gpuHotSinceMs >= offer.notWhile.forSec * 1000;
  const reason = games.length > 0 ? `game running: ${games.join(', ')}` : gpuBusy ? `GPU busy: ${util} % for over ${offer.notWhile.forSec} s` : null;

  if (reason !== null) {
    return { busy: reason, busySinceMs: prev.busy !== null ? prev.busySinceMs : nowMs, gpuHotSinceMs, coolDownUntilMs: null, lastBusy: reason };
  }
  let coolDownUntilMs = prev.coolDownUntilMs;
  if (prev.busy !== null) coolDownUntilMs = offer.coolDownSec > 0 ? nowMs + offer.coolDownSec * 1000 : null;
  if (coolDownUntilMs !== null && nowMs >= coolDownUntilMs) coolDownUntilMs = null;
  return { busy: null, busySinceMs: null, gpuHotSinceMs, coolDownUntilMs, lastBusy: prev.busy ?? prev.lastBusy };
}
