import { describe, expect, it } from 'vitest';
import { NOISE_WINDOW_MS, createAdvertNoise } from '../../../discovery/advert-noise.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('summarised logging of ignored adverts', () => {
  it('20,000 ignored adverts in a minute → one detailed line, then one summary per loud source', async () => {
    const clock = new FakeClock();
    const { log, lines } = captureLog();
    const noise = createAdvertNoise({ clock, log });
    for (let i = 0; i < 20_001; i++) noise.ignored('10.0.0.13', 'malformed: TXT has no id', { instance: `attacker-${i}` });
    for (let i = 0; i < 5; i++) noise.ignored('10.0.0.14', 'another mesh (abcd)', { instance: `other-${i}` });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ignoring an mDNS advert .*from=10\.0\.0\.13/);
    await clock.advance(NOISE_WINDOW_MS);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('ignored 20,000 adverts from 10.0.0.13 in the last minute');
    expect(lines[2]).toContain('ignored 5 adverts from 10.0.0.14 in the last minute');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('thousands of spoofed sources still give at most 5 lines a minute', async () => {
    const clock = new FakeClock();
    const { log, lines } = captureLog();
    const noise = createAdvertNoise({ clock, log });
    for (let minute = 0; minute < 3; minute++) {
      for (let i = 0; i < 5000; i++) noise.ignored(`10.1.${i >> 8}.${i & 255}`, 'malformed', {});
      await clock.advance(NOISE_WINDOW_MS);
    }
    expect(lines.length).toBeLessThanOrEqual(3 * 5);
    expect(lines.some((l) => /ignored [\d,]+ more adverts from \d+\+? other sources/.test(l))).toBe(true);
  });

  it('stop() logs what is pending and leaves no timer', () => {
    const clock = new FakeClock();
    const { log, lines } = captureLog();
    const noise = createAdvertNoise({ clock, log });
    noise.ignored('10.0.0.1', 'malformed', {});
    noise.ignored('10.0.0.1', 'malformed', {});
    noise.stop();
    expect(lines[1]).toContain('ignored 1 advert from 10.0.0.1');
    expect(clock.pendingTimers()).toBe(0);
  });
});
