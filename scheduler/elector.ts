/**
 * The elector: re-elects when the registry changes (coalescing bursts into one election) and arms
 * ONE timer for the next moment the result can change by itself — a window boundary, a cool-down
 * or an override ending — instead of polling (DESIGN.md §4).
 */
import type { CancelTimer, Clock } from '../agent/clock.js';
import { createEmitter, type Unsubscribe } from '../agent/events.js';
import type { Service } from '../agent/lifecycle.js';
import type { Logger } from '../agent/log.js';
import type { PeerRegistry } from '../discovery/registry.js';
import { elect, electKind, type KindPlacement, type Placement } from './election.js';
import type { PlacementPolicy, ServiceKind } from './offer-schema.js';
import type { Pin } from './override-schema.js';

export interface Elector extends Service {
  current(): Placement | null;
  /** A fresh election for display ("opens in 3 h 12 min" up to date); does not change `current`. */
  snapshot(): Placement;
  /** Candidates for one request (Ollama: only nodes that have `model`). */
  electFor(kind: ServiceKind, model?: string): KindPlacement;
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

  const input = () => ({
    nodes: opts.registry.snapshot(),
    policy: opts.policy(),
    pins: opts.pins(),
    nowMs: opts.clock.nowMs(),
    previous: current,
    displayZone: opts.displayZone,
  });

  const run = (): void => {
    cancelPending = null;
    if (!running) return;
    const previous = current;
    const next = elect(input());
    current = next;
    cancelTimer?.();
    cancelTimer = null;
    if (next.nextChangeAtMs !== null) {
      // +1 ms: the boundary itself belongs to the new state (windows are [from, to)).
      cancelTimer = opts.clock.setTimeout(run, Math.max(0, next.nextChangeAtMs - opts.clock.nowMs() + 1));
    }
    if (!previous || changed(previous, next)) events.emit('change', { next, previous });
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
    snapshot: () => elect(input()),
    electFor(kind, model) {
      return electKind(kind, input(), model === undefined ? {} : { model }).placement;
    },
    refresh: () => {
      if (running) run();
    },
    onChange: (listener) => events.on('change', ({ next, previous }) => listener(next, previous)),
  };
}

/** A change worth telling: who serves, who batches, or any candidate's verdict or reason. */
function changed(a: Placement, b: Placement): boolean {
  return JSON.stringify(a.kinds) !== JSON.stringify(b.kinds);
}
