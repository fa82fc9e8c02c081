/**
 * The elector: re-elects when the registry changes (coalescing bursts into one election) and arms
 * ONE timer for the next moment the result can change by itself — a window boundary, a GPU load
 * reaching its `forSec`, a cool-down, an override or pin ending — instead of polling (DESIGN.md §4).
 * The election is pure and zone-free; the elector adds the words (in `displayZone`) for the API
 * and UI, and tells listeners only when a verdict's code changes, never for words alone.
 */
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';
import { createEmitter, type Unsubscribe } from '../agent/kernel/events.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import type { PeerRegistry } from '../discovery/registry.js';
import { elect, electKind, type Election } from './election.js';
import { describeKind, describePlacement, type KindPlacement, type Placement } from './placement-view.js';
import { reasonKey } from '../agent/kernel/shapes/reason.js';
import type { PlacementPolicy } from '../agent/kernel/shapes/offer.js';
import type { KindId } from '../agent/kernel/kinds.js';
import type { Pin } from '../agent/kernel/shapes/override.js';

export interface Elector extends Service {
  current(): Placement | null;
  /** A fresh election for display ("opens in 3 h 12 min" up to date); does not change `current`. */
  snapshot(): Placement;
  /** Candidates for one request (Ollama: only nodes that have `model`). */
  electFor(kind: KindId, model?: string): KindPlacement;
  /** Re-elects now (after a policy or override change). */
  refresh(): void;
  onChange(listener: (next: Placement, previous: Placement | null) => void): Unsubscribe;
}

export function createElector(opts: {
  registry: PeerRegistry;
  policy: () => PlacementPolicy;
  pins: () => readonly Pin[];
  clock: Clock;
  log: Logger;
  displayZone: string;
}): Elector {
  let current: Placement | null = null;
  let cancelTimer: CancelTimer | null = null;
  let cancelPending: CancelTimer | null = null;
  let running = false;
  const subscriptions: Unsubscribe[] = [];
  const events = createEmitter<{ change: { next: Placement; previous: Placement | null } }>((err) => opts.log.error('placement listener failed', { error: String(err) }));

  // No previous result goes in: hysteresis reads what nodes advertise they serve (issue 12).
  const input = () => ({
    nodes: opts.registry.snapshot(),
    policy: opts.policy(),
    pins: opts.pins(),
    nowMs: opts.clock.nowMs(),
  });
  let currentElection: Election | null = null;

  const run = (): void => {
    cancelPending = null;
    if (!running) return;
    const previous = current;
    const previousElection = currentElection;
    const election = elect(input());
    const next = describePlacement(election, opts.displayZone);
    currentElection = election;
    current = next;
    cancelTimer?.();
    cancelTimer = null;
    if (next.nextChangeAtMs !== null) {
      // +1 ms: the boundary itself belongs to the new state (windows are [from, to)).
      cancelTimer = opts.clock.setTimeout(run, Math.max(0, next.nextChangeAtMs - opts.clock.nowMs() + 1));
    }
    if (!previous || !previousElection || changed(previousElection, election)) events.emit('change', { next, previous });
  };

  /** Registry events come in bursts (a peer's advert and state at once): elect once per burst. */
  const schedule = (): void => {
    if (!running || cancelPending) return;
    cancelPending = opts.clock.setTimeout(run, 0);
  };

  return {
    name: 'elector',
    async start(signal) {
      if (signal.aborted || running) return;
      running = true;
      for (const event of ['node-added', 'node-updated', 'node-state', 'node-removed'] as const) subscriptions.push(opts.registry.on(event, schedule));
      run();
    },
    async stop() {
      running = false;
      for (const off of subscriptions.splice(0)) off();
      cancelTimer?.();
      cancelPending?.();
      cancelTimer = null;
      cancelPending = null;
    },
    current: () => current,
    snapshot: () => describePlacement(elect(input()), opts.displayZone),
    electFor(kind, model) {
      const nowMs = opts.clock.nowMs();
      return describeKind(electKind(kind, { ...input(), nowMs }, model === undefined ? {} : { model }).placement, { nowMs, zone: opts.displayZone });
    },
    refresh: () => {
      if (running) run();
    },
    onChange: (listener) => events.on('change', ({ next, previous }) => listener(next, previous)),
  };
}

/**
 * A change worth telling: who serves, who batches, or any candidate's verdict or reason code. Words
 * and params that move with every probe ("GPU busy: 93 %", "opens in 3 h") are not changes.
 */
function changed(a: Election, b: Election): boolean {
  return fingerprint(a) !== fingerprint(b);
}
function fingerprint(e: Election): string {
  return Object.entries(e.kinds)
    .map(([kind, k]) => [kind, k.elected, k.batchElected, k.batchWhy?.code ?? '', reasonKey(k.why), ...k.candidates.map((c) => `${c.nodeId}:${c.eligible}:${c.batch}:${reasonKey(c.why)}`)].join('|'))
    .join('\n');
}
