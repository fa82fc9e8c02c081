/**
 * Small stand-ins for the scheduler's collaborators: an in-memory History (the real one needs a
 * Store) and an Elector whose placements the test emits by hand, so the waker and the actions can
 * be driven through exact transitions. Placements themselves come from the real `elect()`.
 */
import type { History } from '../../scheduler/history-schema.js';
import type { NodeRecord } from '../../discovery/types.js';
import { elect } from '../../scheduler/election.js';
import { describePlacement, type KindPlacement, type Placement } from '../../scheduler/placement-view.js';
import type { Elector } from '../../scheduler/elector.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { placementPolicySchema } from '../../agent/kernel/shapes/offer.js';

export interface MemoryHistory extends History {
  readonly entries: HistoryEntry[];
}

/** A History kept in an array; `atMs` is taken from `nowMs` like the real one. */
export function memoryHistory(nowMs: () => number): MemoryHistory {
  const entries: HistoryEntry[] = [];
  return {
    entries,
    add(entry) {
      entries.push({ ...entry, atMs: entry.atMs ?? nowMs() });
    },
    list(opts = {}) {
      const since = entries.filter((e) => e.atMs >= (opts.sinceMs ?? 0));
      return opts.limit === undefined ? since : since.slice(-opts.limit);
    },
  };
}

export const DEFAULT_POLICY = placementPolicySchema.parse({});

/** The real election over `nodes` at `nowMs` (London display zone, no pins), with its words. */
export function placementAt(nodes: readonly NodeRecord[], nowMs: number): Placement {
  return describePlacement(elect({ nodes, policy: DEFAULT_POLICY, pins: [], nowMs }), 'Europe/London');
}

export interface FakeElector extends Elector {
  /** Makes `next` current and tells the listeners (previous = the placement current until now). */
  emit(next: Placement): void;
  listenerCount(): number;
}

export function createFakeElector(initial: Placement | null = null): FakeElector {
  let current = initial;
  const listeners = new Set<(next: Placement, previous: Placement | null) => void>();
  const need = (): Placement => {
    if (!current) throw new Error('fake elector: no placement yet');
    return current;
  };
  return {
    name: 'fake-elector',
    async start() {},
    async stop() {},
    current: () => current,
    snapshot: need,
    electFor(kind): KindPlacement {
      return need().kinds[kind];
    },
    refresh() {},
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    emit(next) {
      const previous = current;
      current = next;
      for (const l of [...listeners]) l(next, previous);
    },
    listenerCount: () => listeners.size,
  };
}
