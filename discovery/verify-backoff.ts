/**
 * Addresses whose verification failed are not tried again for a while (issue 11: each
 * re-announcement of a hostile advert made the hub download up to 256 KB again). The wait starts at
 * `baseMs` and doubles per failure up to `maxMs`; a success forgets the address. Bounded: the
 * oldest entry goes when the table is full, so a flood of made-up addresses cannot grow it.
 */
export interface VerifyBackoff {
  /** True while `key` (an address list) must not be verified again. */
  blocked(key: string, nowMs: number): boolean;
  failed(key: string, nowMs: number): void;
  succeeded(key: string): void;
  readonly size: number;
}

export function createVerifyBackoff(opts: { baseMs: number; maxMs: number; maxEntries: number }): VerifyBackoff {
  /** Keyed by the candidate's address list. */
  const entries = new Map<string, { failures: number; untilMs: number }>();
  return {
    blocked(key, nowMs) {
      const e = entries.get(key);
      return e !== undefined && nowMs < e.untilMs;
    },
    failed(key, nowMs) {
      const failures = (entries.get(key)?.failures ?? 0) + 1;
      entries.delete(key); // re-inserted last: the Map's order is the eviction order
      if (entries.size >= opts.maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      const waitMs = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(failures - 1, 20));
      entries.set(key, { failures, untilMs: nowMs + waitMs });
    },
    succeeded(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
