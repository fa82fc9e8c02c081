/**
 * A manual clock for unit tests: time moves only when the test says so, and `pendingTimers()` lets a
 * lifecycle test assert that stop() left nothing armed.
 */
import type { CancelTimer, Clock } from '../../agent/kernel/clock.js';

interface Timer {
  id: number;
  atMs: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private mono = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(startMs = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.current = startMs;
  }

  nowMs = (): number => this.current;
  monotonicMs = (): number => this.mono;

  setTimeout = (fn: () => void, delayMs: number): CancelTimer => {
    const timer = { id: this.nextId++, atMs: this.current + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };

  sleep = (delayMs: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        cancel();
        reject(signal?.reason as Error);
      };
      const cancel = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.timers.filter((t) => t.atMs <= target).sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.mono += due.atMs - this.current;
      this.current = due.atMs;
      due.fn();
    }
    this.mono += target - this.current;
    this.current = target;
    await flushMicrotasks();
  }
}

/** Lets pending promise chains settle (several rounds, for chains of awaits). */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
