/**
 * The list of requests a fake has seen, plus a way for a test to wait until a request in a given
 * state shows up (for example "the streamed chat was aborted by the proxy"). Entries are mutable:
 * a fake updates `status`, `finished` or `aborted` as the exchange progresses and then calls
 * `changed()` so that waiters re-check.
 */
export interface CallLog<T> {
  /** Every request in arrival order. Tests may read it and may clear it with `clear()`. */
  readonly calls: T[];
  record(call: T): T;
  /** Tell waiters that a recorded call changed state. */
  changed(): void;
  /** Resolves with the first call matching `predicate`, now or later; rejects after `timeoutMs`. */
  waitFor(predicate: (call: T) => boolean, timeoutMs?: number): Promise<T>;
  clear(): void;
  /** Rejects all waiters (used by the fake's stop()). */
  close(reason: string): void;
}

interface Waiter<T> {
  predicate: (call: T) => boolean;
  resolve: (call: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export function createCallLog<T>(): CallLog<T> {
  const calls: T[] = [];
  const waiters = new Set<Waiter<T>>();

  const settle = (): void => {
    for (const waiter of waiters) {
      const match = calls.find(waiter.predicate);
      if (match !== undefined) {
        clearTimeout(waiter.timer);
        waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  };

  return {
    calls,
    record(call) {
      calls.push(call);
      settle();
      return call;
    },
    changed: settle,
    waitFor(predicate, timeoutMs = 5_000) {
      const found = calls.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter<T> = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no matching call within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    clear() {
      calls.length = 0;
    },
    close(reason) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(reason));
      }
      waiters.clear();
    },
  };
}
