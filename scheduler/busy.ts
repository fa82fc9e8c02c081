/**
 * "Not while a game runs" (issue 4 §1): each node tracks its own busy state from its activity
 * facts and advertises the result, so every agent elects from the same inputs. Pure: the previous
 * state, the latest facts and `nowMs` in; the next state out.
 */
import type { ActivityFacts } from '../agent/kernel/shapes/facts.js';
import type { Offer } from '../agent/kernel/shapes/offer.js';
import type { BusyReason } from '../agent/kernel/shapes/reason.js';
import type { BusyState } from '../agent/kernel/shapes/busy-state.js';

export function trackBusy(prev: BusyState, activity: ActivityFacts | null, offer: Pick<Offer, 'notWhile' | 'coolDownSec'>, nowMs: number): BusyState {
  const watched = new Set(offer.notWhile.processes.map((p) => p.toLowerCase()));
  const games = (activity?.runningProcesses ?? []).filter((p) => watched.has(p.toLowerCase()));
  const threshold = offer.notWhile.gpuUtilizationPct;
  const util = activity?.gpuUtilizationPct ?? null;
  const forMs = offer.notWhile.forSec * 1000;
  const hot = threshold !== null && util !== null && util > threshold;
  const gpuHotSinceMs = hot ? (prev.gpuHotSinceMs ?? nowMs) : null;
  const gpuBusy = hot && gpuHotSinceMs !== null && nowMs - gpuHotSinceMs >= forMs;
  // A hot spell that ended now had taken the node out (on the elector's timer) if it lasted forSec.
  const gpuSpellEnded = !hot && threshold !== null && prev.gpuHotSinceMs !== null && nowMs - prev.gpuHotSinceMs >= forMs;
  const reason: BusyReason | null =
    games.length > 0
      ? { code: 'game', params: { process: games.join(', ') } }
      : gpuBusy && gpuHotSinceMs !== null
        ? { code: 'gpu-busy', params: { pct: util, sinceMs: gpuHotSinceMs, forSec: offer.notWhile.forSec } }
        : null;

  if (reason !== null) {
    return { busy: reason, busySinceMs: prev.busy !== null ? prev.busySinceMs : nowMs, gpuHotSinceMs, coolDownUntilMs: null, lastBusy: reason };
  }
  const ended = prev.busy !== null || gpuSpellEnded;
  let coolDownUntilMs = prev.coolDownUntilMs;
  if (ended) coolDownUntilMs = offer.coolDownSec > 0 ? nowMs + offer.coolDownSec * 1000 : null;
  if (coolDownUntilMs !== null && nowMs >= coolDownUntilMs) coolDownUntilMs = null;
  const spell: BusyReason | null = gpuSpellEnded && prev.gpuHotSinceMs !== null ? { code: 'gpu-busy', params: { pct: null, sinceMs: prev.gpuHotSinceMs, forSec: offer.notWhile.forSec } } : null;
  return { busy: null, busySinceMs: null, gpuHotSinceMs, coolDownUntilMs, lastBusy: prev.busy ?? spell ?? prev.lastBusy };
}
