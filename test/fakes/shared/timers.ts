/**
 * Real-time timers owned by one fake. Every timer a fake arms goes through one of these sets so
 * that `stop()` can clear them all and tests can assert that nothing is left pending
 * (DESIGN.md §6.1: stop undoes exactly what start armed; STYLE.md §3.5 "no pending timers after stop").
 */
export interface TimerSet {
  /** Runs `fn` once after `ms` milliseconds; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Cancels every pending timer. */
  clearAll(): void;
  /** Number of timers still pending. */
  readonly size: number;
}

export function createTimerSet(): TimerSet {
  const live = new Set<NodeJS.Timeout>();
  return {
    after(ms, fn) {
      const handle = setTimeout(() => {
        live.delete(handle);
        fn();
      }, Math.max(0, ms));
      live.add(handle);
      return () => {
        clearTimeout(handle);
        live.delete(handle);
      };
    },
    clearAll() {
      for (const handle of live) clearTimeout(handle);
      live.clear();
    },
    get size() {
      return live.size;
    },
  };
}
