/**
 * The machine's IANA time zone, as `Intl.DateTimeFormat().resolvedOptions().timeZone` names it, but
 * without building a formatter where the answer can be read directly: the first `Intl` formatter
 * maps about 8 MB of ICU data into the process for good, a tenth of an idle agent (issue 14).
 *
 * It reads the zone where ICU does on Unix (icu4c `uprv_tzname`, common/putil.cpp): the TZ variable
 * when set (a leading `:` and a `posix/` or `right/` prefix dropped), otherwise the target of the
 * /etc/localtime link after its `/zoneinfo/`. That name is returned only when it is one `Intl`
 * would return unchanged (a canonical zone id, or an alias of UTC, which V8 names "UTC"); anything
 * else (an alias such as US/Pacific, a POSIX rule, no link: Windows, containers) asks `Intl` as before.
 */
import { UTC_ALIASES } from './kernel/wall-clock.js';

const ZONEINFO = '/zoneinfo/';

export interface HostTimeZoneSources {
  /** The TZ environment variable, undefined when unset. */
  tzEnv: string | undefined;
  /** The target of /etc/localtime, undefined when it is no link (or absent). */
  localtimeLink: () => string | undefined;
  /** `Intl.supportedValuesOf('timeZone')`: the canonical ids (costs ~0.5 MB, not a formatter's 8). */
  canonicalZones: () => readonly string[];
  /** The answer through a formatter, for what cannot be read directly. */
  intlZone: () => string;
}

export function hostTimeZone(sources: HostTimeZoneSources): string {
  const candidate = sources.tzEnv !== undefined ? sources.tzEnv.replace(/^:/, '') : zoneOfLink(sources.localtimeLink());
  const id = candidate?.replace(/^(posix|right)\//, '');
  if (id !== undefined && id !== '') {
    if (UTC_ALIASES.has(id)) return 'UTC';
    if (sources.canonicalZones().includes(id)) return id;
  }
  return sources.intlZone();
}

function zoneOfLink(target: string | undefined): string | undefined {
  const at = target?.indexOf(ZONEINFO) ?? -1;
  return target !== undefined && at >= 0 ? target.slice(at + ZONEINFO.length) : undefined;
}
