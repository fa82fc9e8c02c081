/**
 * agent/kernel/wall-clock.ts in UTC (issue 17): wall time is the instant to the second, computed
 * without building an Intl.DateTimeFormat (the first one costs ~25 ms of CPU), and it agrees with
 * what ICU says for every UTC alias.
 */
import { describe, expect, it } from 'vitest';
import { instantOfWallTime, UTC_ALIASES, wallTimeAt } from '../../../agent/kernel/wall-clock.js';

const INSTANTS = [0, -1500, 999, 1000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 2, 29, 1, 30), Date.UTC(2026, 9, 25, 1, 30, 12, 345), 4_102_444_800_123];

/** What ICU says the wall clock of `zone` shows, encoded as wall-clock.ts encodes it. */
function icuWallTime(instantMs: number, zone: string): number {
  const p: Record<string, string> = {};
  const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  for (const { type, value } of f.formatToParts(instantMs)) p[type] = value;
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
}

describe('wall clock in UTC', () => {
  it('builds no Intl formatter for UTC and its aliases, and one for a zone with rules', () => {
    const real = Intl.DateTimeFormat;
    let built = 0;
    // Counts constructions; everything else is the real class.
    Intl.DateTimeFormat = new Proxy(real, {
      construct(target, args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
        built++;
        return new target(...args);
      },
    });
    try {
      for (const zone of UTC_ALIASES) {
        for (const t of INSTANTS) wallTimeAt(t, zone);
        instantOfWallTime(Date.UTC(2026, 5, 1, 18, 0), zone);
      }
      expect(built).toBe(0);
      wallTimeAt(0, 'Europe/London');
      expect(built).toBe(1);
    } finally {
      Intl.DateTimeFormat = real;
    }
  });

  it('agrees with ICU for every alias, to the second, before 1970 too', () => {
    for (const zone of UTC_ALIASES) {
      for (const t of INSTANTS) expect([zone, t, wallTimeAt(t, zone)]).toEqual([zone, t, icuWallTime(t, zone)]);
    }
  });

  it('round-trips wall times to instants, milliseconds counted once (in a zone with rules too)', () => {
    const wall = Date.UTC(2026, 5, 1, 18, 0, 30);
    expect(instantOfWallTime(wall, 'UTC')).toBe(wall);
    expect(instantOfWallTime(wall + 250, 'Etc/UTC')).toBe(wall + 250);
    expect(instantOfWallTime(wall + 250, 'Europe/London')).toBe(wall + 250 - 3_600_000); // BST
  });
});
