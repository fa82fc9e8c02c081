import { describe, expect, it } from 'vitest';
import { createVerifyBackoff } from '../../../discovery/verify-backoff.js';

describe('verification backoff', () => {
  it('a failed address waits base, then double, up to max; a success forgets it', () => {
    const b = createVerifyBackoff({ baseMs: 30_000, maxMs: 120_000, maxEntries: 10 });
    expect(b.blocked('a', 0)).toBe(false);
    b.failed('a', 0);
    expect(b.blocked('a', 29_999)).toBe(true);
    expect(b.blocked('a', 30_000)).toBe(false);
    b.failed('a', 30_000);
    expect(b.blocked('a', 89_999)).toBe(true);
    b.failed('a', 90_000);
    b.failed('a', 90_000);
    expect(b.blocked('a', 90_000 + 120_000)).toBe(false); // capped at max
    b.succeeded('a');
    b.failed('a', 0);
    expect(b.blocked('a', 30_000)).toBe(false); // back to base
  });

  it('a flood of made-up addresses cannot grow the table past its cap', () => {
    const b = createVerifyBackoff({ baseMs: 1000, maxMs: 1000, maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) b.failed(`http://10.0.${i >> 8}.${i & 255}:7650`, 0);
    expect(b.size).toBe(100);
    expect(b.blocked('http://10.0.39.15:7650', 1)).toBe(true); // the newest are kept
  });
});
