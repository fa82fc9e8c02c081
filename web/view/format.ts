/**
 * Small formatters the pages share. Every one of them has a twin in the client script
 * (web/static/view-js.ts) so a live update reads exactly like the server-rendered page;
 * test/unit/web/client-view.test.ts compares the two on the same fixtures.
 */
import { ALL_KINDS, KINDS, type KindId } from '../../agent/kernel/kinds.js';
import { DAY_MS, startOfWallDay, wallTimeAt } from '../../agent/kernel/wall-clock.js';
import { formatDuration, formatLocalTime } from '../../scheduler/windows.js';

export function kindLabel(kind: KindId): string {
  return KINDS[kind].label;
}

/** MiB as GB with one decimal, like `inference-mesh status`. */
export function formatGb(mb: number): string {
  return `${(mb / 1024).toFixed(1)} GB`;
}

export function vramText(usedMb: number | null, totalMb: number | null): string {
  if (totalMb === null) return 'unknown';
  if (usedMb === null) return `${formatGb(totalMb)} (use unknown)`;
  return `${formatGb(usedMb)} used of ${formatGb(totalMb)}`;
}

/**
 * "NVIDIA GeForce RTX 4080" → "RTX 4080": the summary line has to fit a phone; the card keeps the
 * full model name.
 */
export function shortGpuName(model: string): string {
  return model.replace(/^(NVIDIA|AMD|Intel(\(R\))?|Apple)\s+/i, '').replace(/^GeForce\s+/i, '');
}

/** "14:02" when seen within a day (the clock time is what people compare with), else "3 d ago". */
export function formatSeen(ms: number | null, nowMs: number, zone: string): string {
  if (ms === null) return 'never';
  return nowMs - ms >= DAY_MS ? `${formatDuration(nowMs - ms)} ago` : formatLocalTime(ms, zone);
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * A log time: "14:02:11" today, "yesterday 14:02:11", else "Mon 23 Nov 14:02". Spelled out by hand
 * rather than with a locale format so the browser and Node (different ICU builds) print the same.
 */
export function formatLogTime(ms: number, nowMs: number, zone: string): string {
  const wall = new Date(wallTimeAt(ms, zone));
  const days = (startOfWallDay(wallTimeAt(nowMs, zone)) - startOfWallDay(wall.getTime())) / DAY_MS;
  const hm = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
  const hms = `${hm}:${pad(wall.getUTCSeconds())}`;
  if (days === 0) return hms;
  if (days === 1) return `yesterday ${hms}`;
  return `${WEEKDAYS[(wall.getUTCDay() + 6) % 7] ?? ''} ${wall.getUTCDate()} ${MONTHS[wall.getUTCMonth()] ?? ''} ${hm}`;
}

/** "today", "yesterday", "tomorrow" or "" (further away), for timeline descriptions. */
export function dayWord(ms: number, nowMs: number, zone: string): string {
  const days = (startOfWallDay(wallTimeAt(ms, zone)) - startOfWallDay(wallTimeAt(nowMs, zone))) / DAY_MS;
  return days === 0 ? 'today' : days === -1 ? 'yesterday' : days === 1 ? 'tomorrow' : '';
}

/** The election's next boundary in words: "Next scheduled change at 22:00 (in 7 h 58 min)." */
export function nextChangeText(atMs: number | null, nowMs: number, zone: string): string {
  if (atMs === null) return 'No change is scheduled.';
  return `Next scheduled change at ${formatLocalTime(atMs, zone)} (in ${formatDuration(atMs - nowMs)}).`;
}

/**
 * Words for the family reading the page (issue 16): a service that is down is "not running"; the
 * socket error behind it ("connection refused at http://127.0.0.1:3003") goes to the card's
 * details, not into every sentence. The API and CLI keep the full reason.
 *
 * @example plainWords('hub: Immich ML is down: connection refused at http://127.0.0.1:3003') === 'hub: Immich ML is not running'
 */
const DOWN = new RegExp(`\\b(${ALL_KINDS.map((d) => d.label).join('|')}) is down(?:: [^;]*)?`, 'g');

export function plainWords(text: string): string {
  return text.replace(DOWN, '$1 is not running').replace(/\balways offered\b/g, 'available at any time');
}

/** A service's state on a node card: the words, and the raw reason for its details (or null). */
export function serviceWords(s: { state: string; reason: string | null } | null | undefined, version?: string | null): { text: string; detail: string | null } {
  if (!s) return { text: 'not set up', detail: null };
  if (s.state === 'up') return { text: version ? `running · version ${version}` : 'running', detail: null };
  if (s.state === 'down') return { text: 'not running', detail: s.reason };
  return { text: 'not checked yet', detail: null };
}
