/**
 * Local wall-clock time in an IANA zone ↔ UTC instants, with nothing but the built-in `Intl` API
 * (no time-zone dependency, DESIGN.md §6). Pure: instants come in as epoch milliseconds.
 *
 * A "wall time" here is the local date and time encoded as if it were UTC: `Date.UTC(y, m - 1, d, h, mi)`.
 * That keeps date arithmetic (next day, weekday) plain integer maths that never meets a DST rule.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** What V8 resolves to "UTC" (checked with `TZ=… node`, Node 20); not among the canonical ids. */
export const UTC_ALIASES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'UCT', 'Etc/UCT', 'Universal', 'Etc/Universal', 'Zulu', 'Etc/Zulu', 'GMT0', 'Etc/GMT0', 'Greenwich', 'Etc/Greenwich', 'GMT+0', 'Etc/GMT+0', 'GMT-0', 'Etc/GMT-0']);

/** One formatter per zone: constructing `Intl.DateTimeFormat` is far costlier than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // hourCycle h23, not hour12:false: the latter prints midnight as "24" in some ICU versions.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The wall time (see the module comment) that clocks in `timeZone` show at `instantMs`, to the second.
 * @throws RangeError for an unknown zone.
 * @example wallTimeAt(Date.UTC(2026, 6, 1, 12, 0), 'Europe/London') === Date.UTC(2026, 6, 1, 13, 0) // BST
 */
export function wallTimeAt(instantMs: number, timeZone: string): number {
  // UTC's wall time is the instant itself (to the second, as the formatter gives it): a machine in
  // UTC (containers, most servers) then never builds a formatter, whose first one costs ~25 ms of
  // CPU while ICU loads its time-zone data, in every agent after a power cut (issue 17).
  if (UTC_ALIASES.has(timeZone)) return Math.floor(instantMs / 1000) * 1000;
  const p: Record<string, string> = {};
  for (const { type, value } of formatterFor(timeZone).formatToParts(instantMs)) p[type] = value;
  const hour = Number(p.hour) % 24; // defensive: an "24" hour would mean 00 of the same day
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), hour, Number(p.minute), Number(p.second));
}

/** The zone's UTC offset at `instantMs` (wall − UTC), in whole seconds expressed as ms. */
function offsetAt(instantMs: number, timeZone: string): number {
  return wallTimeAt(instantMs, timeZone) - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant at which clocks in `timeZone` show `wallMs` (see the module comment).
 *
 * - Normal times: the one instant.
 * - Ambiguous times (fall-back, the hour that happens twice): the FIRST occurrence, so a window
 *   starting 01:30 on that night opens the first time clocks show 01:30.
 * - Skipped times (spring-forward gap): the first instant after the gap, i.e. the transition itself
 *   (Europe/London 2026-03-29 01:30 → 01:00Z, when clocks jump from 01:00 GMT to 02:00 BST).
 *
 * Assumes at most one offset change within ±1 day of `wallMs`, which holds for every IANA zone.
 * @throws RangeError for an unknown zone.
 * @example instantOfWallTime(Date.UTC(2026, 2, 29, 7, 0), 'Europe/London') === Date.UTC(2026, 2, 29, 6, 0)
 */
export function instantOfWallTime(wallMs: number, timeZone: string): number {
  const key = `${timeZone} ${wallMs}`;
  const cached = instants.get(key);
  if (cached !== undefined) return cached;
  // Wholesale clearing keeps the memo bounded in a long-running daemon without LRU bookkeeping.
  if (instants.size >= MAX_CACHED_INSTANTS) instants.clear();
  const instantMs = computeInstant(wallMs, timeZone);
  instants.set(key, instantMs);
  return instantMs;
}

/**
 * Memo for `instantOfWallTime`: each `windowState` call converts the same few dozen wall times as the
 * previous one (a sliding two-week span), at four `formatToParts` calls each. Zone rules are fixed for
 * the life of the process, so a memo never goes stale.
 */
const instants = new Map<string, number>();
const MAX_CACHED_INSTANTS = 4096;

function computeInstant(wallMs: number, timeZone: string): number {
  // The offsets in force a day either side are the only candidates: try each, keep those that round-trip.
  const before = offsetAt(wallMs - DAY_MS, timeZone);
  const after = offsetAt(wallMs + DAY_MS, timeZone);
  const fits = [wallMs - before, wallMs - after].filter((t) => wallTimeAt(t, timeZone) === Math.floor(wallMs / 1000) * 1000);
  // Offsets are whole seconds, so a candidate keeps the wall time's milliseconds already.
  if (fits.length > 0) return Math.min(...fits);
  // Also try the offset right at the wall time read as UTC: covers a transition that happened just then.
  const near = wallMs - offsetAt(wallMs, timeZone);
  if (wallTimeAt(near, timeZone) === Math.floor(wallMs / 1000) * 1000) return near;
  // In a gap: clocks jumped over wallMs. The transition lies between the instant the later offset
  // gives (before the jump) and the one the earlier offset gives (after it); bisect to the second.
  let lo = Math.min(wallMs - before, wallMs - after);
  let hi = Math.max(wallMs - before, wallMs - after);
  const loOffset = offsetAt(lo, timeZone);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === loOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Whole minutes since local midnight of a wall time. */
export function minuteOfDay(wallMs: number): number {
  return Math.floor((((wallMs % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}

/** Local midnight (as a wall time) of the day containing `wallMs`. */
export function startOfWallDay(wallMs: number): number {
  return wallMs - (((wallMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/** Weekday of a wall time, Monday = 0 … Sunday = 6 (ISO order, matching `DAYS`). */
export function isoWeekday(wallMs: number): number {
  return (new Date(wallMs).getUTCDay() + 6) % 7;
}
