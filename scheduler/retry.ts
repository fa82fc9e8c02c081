/**
 * Retries with exponential backoff and "full jitter" (Marc Brooker, "Exponential Backoff and
 * Jitter", AWS Architecture Blog, 2015: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
 *
 *   sleep = random_between(0, min(cap, base * 2 ** attempt))
 *
 * Full jitter spreads retries of many agents (all woken by the same window edge, or all waiting for
 * the same freshly woken GPU machine) over the whole interval instead of in lock-step waves; the
 * post measured it as the least total work of the variants it compared.
 *
 * Time only passes through the injected clock (DESIGN.md §6.4), so tests drive it with FakeClock.
 */
import type { Clock } from '../agent/kernel/clock.js';

export interface RetryOptions {
  clock: Clock;
  /** Total tries, the first included (1 = no retry). */
  attempts: number;
  /** Ceiling of the wait after the first failure; it doubles after each further failure. */
  baseDelayMs: number;
  /** Cap of the ceiling ("cap" in the AWS post). */
  maxDelayMs: number;
  /** Aborting stops at once while waiting, and makes a failure of `fn` final. */
  signal?: AbortSignal;
  /** [0, 1), default Math.random; `() => 1` pins every wait to its ceiling in tests. */
  random?: () => number;
  /** Called before each wait, with the attempt that just failed (1-based), its error and the wait. */
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void;
}

/** The ceiling of the wait after failed attempt `attempt` (1-based): min(cap, base · 2^(attempt−1)). */
export function backoffCeilingMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  // 2 ** large → Infinity, which min() caps: no overflow handling needed.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Calls `fn(attempt, signal)` (attempt is 1-based) until it resolves, at most `attempts` times, and
 * rethrows the last error when every try failed. `fn` gets the caller's signal (or one that never
 * aborts) and must honour it: a running try is not abandoned, so nothing is left working behind the
 * caller's back (DESIGN.md §6.6: check `stopped` after every await). After an abort, the signal's
 * reason is thrown, not `fn`'s error.
 */
export async function retryWithBackoff<T>(fn: (attempt: number, signal: AbortSignal) => Promise<T>, opts: RetryOptions): Promise<T> {
  const { clock, attempts, baseDelayMs, maxDelayMs } = opts;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be an integer ≥ 1, got ${attempts}`);
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= baseDelayMs)) {
    throw new RangeError(`need 0 ≤ baseDelayMs ≤ maxDelayMs, got ${baseDelayMs} and ${maxDelayMs}`);
  }
  const random = opts.random ?? Math.random;
  const signal = opts.signal ?? new AbortController().signal;

  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await fn(attempt, signal);
    } catch (err) {
      signal.throwIfAborted();
      if (attempt >= attempts) throw err;
      const jitter = Math.min(1, Math.max(0, random()));
      const delayMs = Math.floor(jitter * backoffCeilingMs(attempt, baseDelayMs, maxDelayMs));
      opts.onRetry?.(attempt, err, delayMs);
      // Checked again: onRetry may have aborted, and a sleep on an aborted signal need not reject.
      signal.throwIfAborted();
      await sleepLinked(clock, delayMs, signal);
    }
  }
}

/**
 * Sleeps on a fresh child signal: whatever abort listener the clock adds dies with the child, so a
 * long retry series never piles listeners onto the caller's long-lived signal (Node warns at 11,
 * MaxListenersExceededWarning), even with a Clock that does not remove its listener after waking.
 */
async function sleepLinked(clock: Clock, delayMs: number, parent: AbortSignal): Promise<void> {
  const child = new AbortController();
  const onAbort = (): void => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  try {
    await clock.sleep(delayMs, child.signal);
  } finally {
    parent.removeEventListener('abort', onAbort);
  }
}
