/**
 * retryWithBackoff on the FakeClock: time moves only when the test advances it, so every wait is
 * observed exactly (no wall-clock assertions, DESIGN.md §7).
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, retryWithBackoff } from '../../../scheduler/retry.js';
import type { RetryOptions } from '../../../scheduler/retry.js';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.js';

interface Observed<T> {
  settled: boolean;
  value?: T;
  error?: unknown;
}

/** Starts the retry and records its outcome without awaiting it, so the test can drive the clock. */
function observe<T>(promise: Promise<T>): Observed<T> {
  const seen: Observed<T> = { settled: false };
  promise.then(
    (value) => Object.assign(seen, { settled: true, value }),
    (error: unknown) => Object.assign(seen, { settled: true, error }),
  );
  return seen;
}

function setup(overrides: Partial<Omit<RetryOptions, 'clock'>> = {}) {
  const clock = new FakeClock();
  const retries: { attempt: number; err: unknown; delayMs: number }[] = [];
  const opts: RetryOptions = {
    clock,
    attempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 1,
    onRetry: (attempt, err, delayMs) => retries.push({ attempt, err, delayMs }),
    ...overrides,
  };
  return { clock, opts, retries };
}

/** fn that fails `failures` times (with "fail N"), then answers "ok on N". */
function flaky(failures: number) {
  const seen: { attempt: number; atMs: number; signal: AbortSignal }[] = [];
  return {
    seen,
    fn: (clock: FakeClock) => async (attempt: number, signal: AbortSignal) => {
      seen.push({ attempt, atMs: clock.nowMs(), signal });
      if (attempt <= failures) throw new Error(`fail ${attempt}`);
      return `ok on ${attempt}`;
    },
  };
}

describe('retryWithBackoff', () => {
  it('returns at once when the first try succeeds, without arming a timer', async () => {
    const { clock, opts, retries } = setup();
    const { fn, seen } = flaky(0);
    await expect(retryWithBackoff(fn(clock), opts)).resolves.toBe('ok on 1');
    expect(seen.map((s) => s.attempt)).toEqual([1]);
    expect(retries).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('retries until success, waiting on the clock between tries', async () => {
    const { clock, opts, retries } = setup();
    const { fn, seen } = flaky(2);
    const start = clock.nowMs();
    const result = observe(retryWithBackoff(fn(clock), opts));

    await flushMicrotasks();
    expect(seen.map((s) => s.attempt)).toEqual([1]);
    expect(result.settled).toBe(false);
    expect(clock.pendingTimers()).toBe(1);

    // Not a millisecond early.
    await clock.advance(99);
    expect(seen).toHaveLength(1);
    await clock.advance(1);
    expect(seen).toHaveLength(2);

    await clock.advance(200);
    expect(result).toEqual({ settled: true, value: 'ok on 3' });
    expect(seen.map((s) => [s.attempt, s.atMs - start])).toEqual([
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
    expect(retries.map((r) => [r.attempt, (r.err as Error).message, r.delayMs])).toEqual([
      [1, 'fail 1', 100],
      [2, 'fail 2', 200],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('gives up after `attempts` tries and rethrows the last error itself', async () => {
    const { clock, opts, retries } = setup({ attempts: 3 });
    const errors: Error[] = [];
    const result = observe(
      retryWithBackoff(async (attempt) => {
        const err = new Error(`fail ${attempt}`);
        errors.push(err);
        throw err;
      }, opts),
    );
    await clock.advance(10_000);
    expect(result.settled).toBe(true);
    expect(errors).toHaveLength(3);
    expect(result.error).toBe(errors[2]);
    // No wait after the last try.
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('with attempts: 1 tries once and does not wait', async () => {
    const { clock, opts, retries } = setup({ attempts: 1 });
    await expect(
      retryWithBackoff(async () => {
        throw new Error('once');
      }, opts),
    ).rejects.toThrow('once');
    expect(retries).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('doubles the delay from baseDelayMs and caps it at maxDelayMs (random pinned to 1)', async () => {
    const { clock, opts, retries } = setup({ attempts: 9, baseDelayMs: 100, maxDelayMs: 1000 });
    const result = observe(
      retryWithBackoff(async () => {
        throw new Error('down');
      }, opts),
    );
    await clock.advance(60_000);
    expect(result.settled).toBe(true);
    const delays = retries.map((r) => r.delayMs);
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? 0);
    for (const d of delays) expect(d).toBeLessThanOrEqual(1000);
  });

  it('draws each wait uniformly below its ceiling (full jitter)', async () => {
    const draws = [0.5, 0, 0.25, 0.999];
    const { clock, opts, retries } = setup({ attempts: 5, random: () => draws.shift() ?? 0 });
    const result = observe(
      retryWithBackoff(async () => {
        throw new Error('down');
      }, opts),
    );
    await clock.advance(60_000);
    expect(result.settled).toBe(true);
    // Ceilings 100, 200, 400, 800 → 50, 0, 100, floor(799.2).
    expect(retries.map((r) => r.delayMs)).toEqual([50, 0, 100, 799]);
  });

  it('never exceeds maxDelayMs, even for huge attempt counts or a misbehaving random()', async () => {
    expect(backoffCeilingMs(2000, 100, 30_000)).toBe(30_000);
    const controller = new AbortController();
    const { clock, opts, retries } = setup({ attempts: 60, baseDelayMs: 250, maxDelayMs: 5000, random: () => 7, signal: controller.signal });
    const result = observe(
      retryWithBackoff(async () => {
        throw new Error('down');
      }, opts),
    );
    await clock.advance(10_000_000);
    expect(result.settled).toBe(true);
    expect(retries).toHaveLength(59);
    for (const r of retries) expect(r.delayMs).toBeLessThanOrEqual(5000);
    // 59 waits left no abort listener on the caller's long-lived signal.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('stops waiting the moment the signal aborts, and leaves no timer behind', async () => {
    const controller = new AbortController();
    const { clock, opts } = setup({ signal: controller.signal, baseDelayMs: 60_000, maxDelayMs: 60_000 });
    const { fn, seen } = flaky(10);
    const result = observe(retryWithBackoff(fn(clock), opts));
    await flushMicrotasks();
    expect(clock.pendingTimers()).toBe(1);

    const reason = new Error('window closed');
    controller.abort(reason);
    await flushMicrotasks();

    // Rejected without the clock moving at all.
    expect(result).toEqual({ settled: true, error: reason });
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(600_000);
    expect(seen).toHaveLength(1);
  });

  it('hands the signal to fn, and an abort during a try ends the retries with the abort reason', async () => {
    const controller = new AbortController();
    const { clock, opts, retries } = setup({ signal: controller.signal });
    const reason = new Error('stopping');
    const result = observe(
      retryWithBackoff(async (_attempt, signal) => {
        expect(signal).toBe(controller.signal);
        controller.abort(reason);
        throw new Error('request aborted');
      }, opts),
    );
    await flushMicrotasks();
    expect(result).toEqual({ settled: true, error: reason });
    expect(retries).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not call fn at all when the signal is already aborted', async () => {
    const { clock, opts } = setup({ signal: AbortSignal.abort(new Error('already stopped')) });
    const { fn, seen } = flaky(0);
    await expect(retryWithBackoff(fn(clock), opts)).rejects.toThrow('already stopped');
    expect(seen).toHaveLength(0);
  });

  it('gives fn a signal even when the caller has none', async () => {
    const { clock, opts } = setup();
    const { fn, seen } = flaky(0);
    await retryWithBackoff(fn(clock), opts);
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(seen[0]?.signal.aborted).toBe(false);
  });

  it.each([
    [{ attempts: 0 }, /attempts must be an integer ≥ 1/],
    [{ attempts: 1.5 }, /attempts must be an integer ≥ 1/],
    [{ baseDelayMs: -1 }, /0 ≤ baseDelayMs ≤ maxDelayMs/],
    [{ baseDelayMs: 2000, maxDelayMs: 1000 }, /0 ≤ baseDelayMs ≤ maxDelayMs/],
    [{ baseDelayMs: Number.NaN }, /0 ≤ baseDelayMs ≤ maxDelayMs/],
  ])('rejects bad options %j before calling fn', async (overrides, message) => {
    const { clock, opts } = setup(overrides);
    const { fn, seen } = flaky(0);
    await expect(retryWithBackoff(fn(clock), opts)).rejects.toThrow(message);
    expect(seen).toHaveLength(0);
  });
});
