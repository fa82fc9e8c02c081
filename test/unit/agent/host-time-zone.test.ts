import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostTimeZone, type HostTimeZoneSources } from '../../../agent/host-time-zone.js';

const FALLBACK = '(asked Intl)';
const CANONICAL = Intl.supportedValuesOf('timeZone');

function zone(sources: Partial<HostTimeZoneSources>): string {
  return hostTimeZone({ tzEnv: undefined, localtimeLink: () => undefined, canonicalZones: () => CANONICAL, intlZone: () => FALLBACK, ...sources });
}

/** What a fresh node with this TZ answers through a formatter: the behaviour to keep. */
function intlUnder(tz: string): string {
  return execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Intl.DateTimeFormat().resolvedOptions().timeZone))'], {
    env: { ...process.env, TZ: tz },
  }).toString();
}

describe('hostTimeZone', () => {
  it('answers what Intl answers for TZ, without Intl for canonical ids and UTC aliases', () => {
    for (const tz of ['Europe/Berlin', ':Europe/Berlin', 'posix/Europe/Paris', 'right/Asia/Tokyo', 'America/Buenos_Aires', 'Asia/Calcutta', 'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT-0', 'Zulu']) {
      expect(zone({ tzEnv: tz }), tz).toBe(intlUnder(tz));
    }
  });

  it('asks Intl for what it cannot read directly: aliases, POSIX rules, unknown or empty TZ', () => {
    for (const tz of ['US/Pacific', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'EST5EDT', 'CET-1CEST,M3.5.0,M10.5.0/3', 'Foo/Bar', 'utc', '']) {
      expect(zone({ tzEnv: tz }), tz).toBe(FALLBACK);
    }
  });

  it('reads the /etc/localtime link after /zoneinfo/ when TZ is unset, and ignores it when TZ is set', () => {
    expect(zone({ localtimeLink: () => '/usr/share/zoneinfo/Europe/Berlin' })).toBe('Europe/Berlin');
    expect(zone({ localtimeLink: () => '../usr/share/zoneinfo/America/New_York' })).toBe('America/New_York');
    expect(zone({ localtimeLink: () => '/var/db/timezone/zoneinfo/Asia/Tokyo' })).toBe('Asia/Tokyo'); // macOS
    expect(zone({ localtimeLink: () => '/usr/share/zoneinfo/posix/Europe/Paris' })).toBe('Europe/Paris');
    expect(zone({ localtimeLink: () => '/usr/share/zoneinfo/Etc/UTC' })).toBe('UTC');
    expect(zone({ localtimeLink: () => '/usr/share/zoneinfo/US/Pacific' })).toBe(FALLBACK);
    expect(zone({ localtimeLink: () => '/nonexistent' })).toBe(FALLBACK);
    expect(zone({})).toBe(FALLBACK);
    expect(zone({ tzEnv: 'Asia/Tokyo', localtimeLink: () => '/usr/share/zoneinfo/Europe/Berlin' })).toBe('Asia/Tokyo');
  });
});
