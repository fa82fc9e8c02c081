import { describe, expect, it } from 'vitest';
import { createYoungGenTrim } from '../../../agent/young-gen-trim.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('createYoungGenTrim', () => {
  it('runs a scavenge soon after start, then every interval (±10 %), and none after stop', async () => {
    const clock = new FakeClock();
    let scavenges = 0;
    const trim = createYoungGenTrim({ clock, minorGc: () => scavenges++, intervalMs: 1000, firstDelayMs: 500, random: () => 1 });
    await clock.advance(5000);
    expect(scavenges).toBe(0);
    await trim.start(new AbortController().signal);
    await clock.advance(549);
    expect(scavenges).toBe(0);
    await clock.advance(1);
    expect(scavenges).toBe(1);
    await clock.advance(1100 * 3);
    expect(scavenges).toBe(4);
    await trim.stop();
    await trim.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(10_000);
    expect(scavenges).toBe(4);
  });
});
