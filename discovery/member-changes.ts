/**
 * When a change of this node's member list (the advert's `members`, issue 17) is told to peers.
 * Telling is a new advert counter, and every peer that sees it fetches the whole advert again: in a
 * forming mesh of n agents each one's list changes n − 1 times, so a tell per change made n² advert
 * fetches at the moment every machine is busiest, and a peer slow to answer one ping (suspect, then
 * up again) made another round of them. Measured with 20 agents on 2 cores: a new counter about
 * every second on every agent, 100 advert fetches a second, pings timing out for the load, and
 * formation taking 24 s after the last agent was ready. So:
 * - changes are gathered until the list has been still for `settleMs` (at most `maxWaitMs` after
 *   the first), so a forming mesh tells a few times, not once per member;
 * - only a list that differs from the one told last is told: a peer that went suspect and came
 *   back within the wait changes nothing.
 * Peers do not need every change at once: the advert is served as it is now, and a newcomer
 * fetches it when it verifies us.
 */
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';

export interface MemberChanges {
  /** Something in the registry changed that may change the member list. */
  changed(): void;
  /** Cancels a pending tell. */
  stop(): void;
}

export function createMemberChanges(opts: {
  clock: Clock;
  /** The member list as it is now, one string per member (its id and address). */
  members: () => readonly string[];
  /** Tells peers (a new advert counter). */
  tell: () => void;
  settleMs: number;
  maxWaitMs: number;
}): MemberChanges {
  let told = '';
  let cancel: CancelTimer | null = null;
  let firstAtMs = 0;

  const fire = (): void => {
    cancel = null;
    const now = [...opts.members()].sort().join(',');
    if (now === told) return;
    told = now;
    opts.tell();
  };

  return {
    changed() {
      const nowMs = opts.clock.nowMs();
      if (cancel) cancel();
      else firstAtMs = nowMs;
      cancel = opts.clock.setTimeout(fire, Math.max(0, Math.min(opts.settleMs, firstAtMs + opts.maxWaitMs - nowMs)));
    },
    stop() {
      cancel?.();
      cancel = null;
    },
  };
}
