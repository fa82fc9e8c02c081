/**
 * Lets V8 shrink the young generation of a quiet agent (issue 14: idle RSS). V8 resizes it only at a
 * scavenge, and shrinks it when allocation has been slow (heap.cc `ShouldResizeNewSpace`: under
 * 1 KB/ms). Start-up grows it to the `--max-semi-space-size` maximum (4 MB: about 8 MB resident for
 * its two halves), and an idle agent allocates so little that the next scavenge can be minutes away,
 * so that memory stays resident (measured: 7.8 MB for the 60 s of bench:footprint). One scavenge
 * every five seconds costs well under a millisecond when idle; under load scavenges run every few ms
 * anyway, allocation is fast, and V8 keeps the space large: the extra one changes nothing there.
 */
import type { CancelTimer, Clock } from './kernel/clock.js';
import type { Service } from './kernel/lifecycle.js';

export const YOUNG_GEN_TRIM_INTERVAL_MS = 5_000;
/**
 * The first one soon after start. It does not shrink yet: V8 measures the allocation rate since the
 * previous GC, which is start-up's; the second, a quiet interval later, does.
 */
export const FIRST_YOUNG_GEN_TRIM_MS = 1_000;

export interface YoungGenTrimOptions {
  clock: Clock;
  /** A scavenge (`gc({ type: 'minor' })`); main.ts builds it. */
  minorGc: () => void;
  intervalMs?: number;
  firstDelayMs?: number;
  /** Spread of the delay, ±10 %. */
  random?: () => number;
}

export function createYoungGenTrim(opts: YoungGenTrimOptions): Service {
  const intervalMs = opts.intervalMs ?? YOUNG_GEN_TRIM_INTERVAL_MS;
  const firstDelayMs = opts.firstDelayMs ?? FIRST_YOUNG_GEN_TRIM_MS;
  const random = opts.random ?? Math.random;
  let cancel: CancelTimer | undefined;
  let stopped = true;

  const arm = (baseMs: number): void => {
    cancel = opts.clock.setTimeout(
      () => {
        if (stopped) return;
        opts.minorGc();
        arm(intervalMs);
      },
      baseMs * (0.9 + 0.2 * random()),
    );
  };

  return {
    name: 'young-gen-trim',
    start() {
      if (!stopped) return Promise.resolve();
      stopped = false;
      arm(firstDelayMs);
      return Promise.resolve();
    },
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
      return Promise.resolve();
    },
  };
}
