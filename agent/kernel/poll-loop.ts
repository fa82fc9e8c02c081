/**
 * One probe on its own self-rescheduling timer (DESIGN.md §6.6): the next run is armed when the
 * previous one has finished, with jitter so probes of many nodes do not beat in step; never
 * setInterval(async …). Each run has a timeout; a failure is reported, logged once per distinct
 * message, and never stops the loop.
 */
import { timeoutSignal, type CancelTimer, type Clock } from './clock.js';
import { describeError } from './errors.js';
import type { Service } from './lifecycle.js';
import type { Logger } from './log.js';

export interface ProbeOutcome<T> {
  /** Set when the run succeeded. */
  value?: T;
  /** Set when the run threw or timed out. */
  error?: string;
  startedAtMs: number;
  durationMs: number;
}

export interface ProbeLoopOptions<T> {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  /** Spread of the delay, as a fraction of the interval (0.1 = ±10 %). */
  jitterRatio?: number;
  clock: Clock;
  log: Logger;
  random?: () => number;
  run: (signal: AbortSignal) => Promise<T>;
  onOutcome: (outcome: ProbeOutcome<T>) => void;
}

export interface ProbeLoop extends Service {
  /** Runs the probe now (outside the schedule) and resolves when that run is done. */
  runNow(): Promise<void>;
}

export function createProbeLoop<T>(opts: ProbeLoopOptions<T>): ProbeLoop {
  const random = opts.random ?? Math.random;
  let stopped = true;
  let cancelTimer: CancelTimer | null = null;
  let current: Promise<void> | null = null;
  let abort: AbortController | null = null;
  let lastError: string | null = null;

  const runOnce = async (): Promise<void> => {
    const startedAtMs = opts.clock.nowMs();
    const t0 = opts.clock.monotonicMs();
    abort = new AbortController();
    const deadline = timeoutSignal(opts.clock, opts.timeoutMs, abort.signal);
    let outcome: ProbeOutcome<T>;
    try {
      const value = await raceSignal(opts.run(deadline.signal), deadline.signal);
      outcome = { value, startedAtMs, durationMs: opts.clock.monotonicMs() - t0 };
      if (lastError !== null) opts.log.info('probe recovered', { probe: opts.name });
      lastError = null;
    } catch (err) {
      const error = describeError(err);
      outcome = { error, startedAtMs, durationMs: opts.clock.monotonicMs() - t0 };
      if (error !== lastError) opts.log.warn('probe failed', { probe: opts.name, error });
      lastError = error;
    } finally {
      deadline.cancel();
    }
    if (stopped) return;
    try {
      opts.onOutcome(outcome);
    } catch (err) {
      opts.log.error('probe result handler failed', { probe: opts.name, error: describeError(err) });
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    const spread = (opts.jitterRatio ?? 0.1) * opts.intervalMs;
    const delayMs = Math.max(0, opts.intervalMs + (random() * 2 - 1) * spread);
    cancelTimer = opts.clock.setTimeout(() => {
      cancelTimer = null;
      tick();
    }, delayMs);
  };

  const tick = (): void => {
    if (stopped || current) return;
    current = runOnce().finally(() => {
      current = null;
      schedule();
    });
  };

  return {
    name: `probe:${opts.name}`,
    async start(signal) {
      if (signal.aborted || !stopped) return;
      stopped = false;
      tick();
    },
    async runNow() {
      if (stopped) return;
      if (current) return current;
      cancelTimer?.();
      cancelTimer = null;
      tick();
      return current ?? undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      cancelTimer?.();
      cancelTimer = null;
      abort?.abort(new Error('agent stopping'));
      await current?.catch(() => undefined);
    },
  };
}

/** Ends the wait when the signal fires, even if the work ignores it (a stuck child process). */
function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
