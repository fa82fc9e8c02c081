/**
 * Offer windows (issue 4 §1): the weekly local times in which a node lends out its GPU, e.g. a gaming
 * PC on weekdays 22:00–07:00. Pure (DESIGN.md §6.4): time comes in as `nowMs`; the zone conversion is
 * in `wall-clock.ts`.
 *
 * The contract, for users writing `offer.windows`:
 * - No windows (absent or empty) = always offered.
 * - A window STARTS on each listed day at `from`, local time in the offer's zone. It ends at `to` the same
 *   day when `to` is later than `from`, otherwise on the NEXT day: `{ days: ['fri'], from: '22:00',
 *   to: '07:00' }` is open Friday 22:00 → Saturday 07:00. `24:00` is the midnight that ends the day.
 * - Open means start ≤ now < end: at exactly `from` it is open, at exactly `to` it is closed.
 * - Windows may overlap or touch; a node is open while any window is.
 * - Daylight saving: local times are what the zone's clocks show. A time skipped by spring-forward
 *   (01:30 in London on 2026-03-29) means the instant clocks jump (02:00 BST = 01:00Z); a time that
 *   happens twice at fall-back means its first occurrence. So 22:00–07:00 lasts 8 h or 10 h on those
 *   nights rather than moving.
 */
import { DAYS, type Day, type TimeWindow } from '../agent/kernel/shapes/time-window.js';
import { DAY_MS, MINUTE_MS, instantOfWallTime, isoWeekday, minuteOfDay, startOfWallDay, wallTimeAt } from '../agent/kernel/wall-clock.js';


export interface WindowState {
  open: boolean;
  /** When the state next changes (open→closed or closed→open); null when it never changes (no windows = always open, or windows covering every minute of the week). */
  changesAtMs: number | null;
  /** The window that is open now (open) or that opens next (closed); null when none. */
  window: TimeWindow | null;
}

const ALWAYS_OPEN: WindowState = { open: true, changesAtMs: null, window: null };

/** Days looked ahead: two full weeks, so one DST day cannot hide the only gap of a weekday. */
const LOOKAHEAD_DAYS = 14;

function minutes(hhmm: string): number {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  if (!m) throw new RangeError(`not a HH:MM time: ${JSON.stringify(hhmm)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

interface Occurrence {
  startMs: number;
  endMs: number;
  index: number;
}

/** Every occurrence of the windows starting on local days `firstDay`…`lastDay` (wall times). */
function occurrences(windows: readonly TimeWindow[], timeZone: string, firstDay: number, lastDay: number): Occurrence[] {
  const out: Occurrence[] = [];
  windows.forEach((w, index) => {
    const fromMin = minutes(w.from);
    const toMin = minutes(w.to);
    for (let day = firstDay; day <= lastDay; day += DAY_MS) {
      const weekday = DAYS[isoWeekday(day)];
      if (weekday === undefined || !w.days.includes(weekday)) continue;
      const startMs = instantOfWallTime(day + fromMin * MINUTE_MS, timeZone);
      // to ≤ from crosses midnight; 24:00 (1440) is always later than from and lands on next midnight.
      const endWall = day + (toMin > fromMin ? 0 : DAY_MS) + toMin * MINUTE_MS;
      const endMs = instantOfWallTime(endWall, timeZone);
      // Both ends inside one spring-forward gap map to the same instant: that night the window is empty.
      if (endMs > startMs) out.push({ startMs, endMs, index });
    }
  });
  return out.sort((a, b) => a.startMs - b.startMs || a.index - b.index);
}

/**
 * Whether `windows` are open at `nowMs` in `timeZone`, and when that next changes. See the module
 * comment for the rules. `changesAtMs` skips boundaries where one window ends as another begins.
 * When several windows are open, `window` is the first of them in list order; when closed, the one
 * that opens next (first in list order on a tie). `from === to` (rejected by the schema) is taken
 * literally by the rule above: 24 hours.
 * @throws RangeError for an unknown zone or a time that is not "HH:MM" (the schema prevents both).
 * @example
 * // Friday 2026-01-09 23:00 in London (GMT): inside fri 22:00–07:00, which closes Saturday 07:00Z.
 * windowState([{ days: ['fri'], from: '22:00', to: '07:00' }], 'Europe/London', Date.UTC(2026, 0, 9, 23))
 * // → { open: true, changesAtMs: Date.UTC(2026, 0, 10, 7), window: { days: ['fri'], … } }
 */
export function windowState(windows: readonly TimeWindow[] | undefined, timeZone: string, nowMs: number): WindowState {
  if (!windows || windows.length === 0) return ALWAYS_OPEN;
  const today = startOfWallDay(wallTimeAt(nowMs, timeZone));
  // From yesterday (a window crossing midnight may still be open) to two weeks ahead.
  const all = occurrences(windows, timeZone, today - DAY_MS, today + LOOKAHEAD_DAYS * DAY_MS);
  const current = all.filter((o) => o.startMs <= nowMs && nowMs < o.endMs);
  const first = current.reduce<Occurrence | undefined>((best, o) => (best && best.index <= o.index ? best : o), undefined);
  if (first) {
    // Follow overlapping and touching occurrences (sorted by start) to where the open stretch really ends.
    let endMs = Math.max(...current.map((o) => o.endMs));
    for (const o of all) {
      if (o.startMs > endMs) break;
      endMs = Math.max(endMs, o.endMs);
    }
    // Open through the whole lookahead: every minute of the week is covered, nothing ever changes.
    const horizonMs = instantOfWallTime(today + (LOOKAHEAD_DAYS + 1) * DAY_MS, timeZone);
    return { open: true, changesAtMs: endMs >= horizonMs ? null : endMs, window: windows[first.index] ?? null };
  }
  // Sorted by start, then list order: the first later start is the next opening.
  const next = all.find((o) => o.startMs > nowMs);
  if (!next) return { open: false, changesAtMs: null, window: null }; // windows on no days: never open
  return { open: false, changesAtMs: next.startMs, window: windows[next.index] ?? null };
}

/** "mon–fri", "sat, sun", "fri–mon": runs of three or more days collapse, wrapping over the week's end. */
function formatDays(days: readonly Day[]): string {
  const on = DAYS.map((d) => days.includes(d));
  // Start right after a day that is off so a run over Sunday→Monday stays in one piece.
  let start = on.findIndex((isOn, i) => isOn && !on[(i + 6) % 7]);
  if (start < 0) start = 0;
  const runs: Day[][] = [];
  for (let k = 0; k < 7; k++) {
    const i = (start + k) % 7;
    const day = DAYS[i];
    if (!on[i] || day === undefined) continue;
    const last = runs[runs.length - 1];
    if (last && on[(i + 6) % 7] && k > 0) last.push(day);
    else runs.push([day]);
  }
  return runs.map((r) => (r.length >= 3 ? `${r[0]}–${r[r.length - 1]}` : r.join(', '))).join(', ');
}

/**
 * A window as users write it; days are left out when all seven are listed.
 * @example formatWindow({ days: DAYS, from: '22:00', to: '07:00' }) === '22:00–07:00'
 * @example formatWindow({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '22:00', to: '07:00' }) === 'mon–fri 22:00–07:00'
 * @example formatWindow({ days: ['sat', 'sun'], from: '00:00', to: '24:00' }) === 'sat, sun 00:00–24:00'
 */
export function formatWindow(w: TimeWindow): string {
  const time = `${w.from}–${w.to}`;
  if (DAYS.every((d) => w.days.includes(d))) return time;
  if (w.days.length === 0) return `no days ${time}`;
  return `${formatDays(w.days)} ${time}`;
}

/**
 * A duration for "opens in …", rounded DOWN to whole minutes and shown as its two largest units
 * (the smaller one left out when zero). Negative durations read as "under a minute".
 * @example formatDuration(192 * 60_000) === '3 h 12 min'
 * @example formatDuration(45 * 60_000 + 59_999) === '45 min'
 * @example formatDuration((2 * 24 + 3) * 3_600_000 + 5 * 60_000) === '2 d 3 h'
 * @example formatDuration(59_999) === 'under a minute'
 */
export function formatDuration(ms: number): string {
  const totalMin = Math.floor(ms / MINUTE_MS);
  if (!(totalMin >= 1)) return 'under a minute'; // also catches NaN
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const min = totalMin % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return min > 0 ? `${h} h ${min} min` : `${h} h`;
  return `${min} min`;
}

/**
 * The 24-hour local time at `ms` in `timeZone`, as shown next to "until" and "since".
 * @throws RangeError for an unknown zone.
 * @example formatLocalTime(Date.UTC(2026, 6, 1, 13, 2), 'Europe/London') === '14:02'
 */
export function formatLocalTime(ms: number, timeZone: string): string {
  const min = minuteOfDay(wallTimeAt(ms, timeZone));
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}
