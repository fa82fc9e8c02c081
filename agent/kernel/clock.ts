/**
 * The only place that reads the wall clock or arms real timers (DESIGN.md §6.4).
 * Everything else receives a `Clock`, so tests can drive time with a fake one.
 */
export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs: () => number;
  /** Monotonic milliseconds, for measuring durations (immune to wall-clock jumps). */
  monotonicMs: () => number;
  /**
   * Calls `fn` once after `delayMs`. The returned function cancels it; calling it twice is harmless.
   * Timers are unref'd: a pending probe must never keep a stopping process alive.
   */
  setTimeout: (fn: () => void, delayMs: number) => CancelTimer;
  /** Resolves after `delayMs`, or rejects with the signal's reason when it aborts first. */
  sleep: (delayMs: number, signal?: AbortSignal) => Promise<void>;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout(fn, delayMs) {
    const handle = setTimeout(fn, delayMs);
    handle.unref();
    return () => clearTimeout(handle);
  },
  sleep(delayMs, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(handle);
        reject(signal?.reason as Error);
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      handle.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** Thrown into probes and peer calls that ran out of time. */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * An AbortSignal that fires after `timeoutMs` on the given clock, or when `parent` aborts.
 * Call `cancel()` when the work is done so no timer outlives it.
 */
export function timeoutSignal(clock: Clock, timeoutMs: number, parent?: AbortSignal): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const cancelTimer = clock.setTimeout(() => controller.abort(new TimeoutError(timeoutMs)), timeoutMs);
  return {
    signal: controller.signal,
    cancel: () => {
      cancelTimer();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
