/**
 * The weekly window shape (issue 4 §1) as config and adverts carry it; what a window means is in
 * scheduler/windows.ts, which computes with it.
 */
import { z } from 'zod';
import { UTC_ALIASES } from '../wall-clock.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

/** One weekly window; see the module comment for what `days`, `from` and `to` mean. */
export interface TimeWindow {
  /** The days on which the window STARTS (a 22:00–07:00 window listed on `fri` ends Saturday morning). */
  days: readonly Day[];
  /** Local start, "HH:MM" 24-hour, 00:00–23:59. */
  from: string;
  /** Local end, "HH:MM" 24-hour, 00:00–24:00; not later than `from` = ends the next day. */
  to: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const HHMM_OR_24 = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/**
 * Validates one window from config or a peer's advert.
 * @example timeWindowSchema.parse({ from: '22:00', to: '07:00' }) // days default to all seven
 * @example timeWindowSchema.parse({ days: ['sat', 'sun'], from: '00:00', to: '24:00' }) // whole weekend
 */
export const timeWindowSchema = z
  .strictObject({
    days: z.array(z.enum(DAYS)).min(1, 'list at least one day, or leave days out for every day').max(7, 'at most the seven days').default(() => [...DAYS]),
    from: z.string().regex(HHMM, 'must be a 24-hour time HH:MM, 00:00–23:59'),
    to: z.string().regex(HHMM_OR_24, 'must be a 24-hour time HH:MM, 00:00–24:00'),
  })
  // Equal ends would be ambiguous (empty or a whole day?); make the user say which.
  .refine((w) => w.from !== w.to, { message: 'from and to must differ (use 00:00–24:00 for a whole day)', path: ['to'] });

/** Zones already checked. Bounded: an advert may carry any string, a mesh has a handful of zones. */
const checkedZones = new Map<string, boolean>();
const MAX_CHECKED_ZONES = 64;

/** `Intl.supportedValuesOf('timeZone')`, read on the first check (about 2 ms and 0.5 MB). */
let canonicalZones: ReadonlySet<string> | undefined;

/**
 * Whether `tz` is an IANA zone this runtime knows. Remembered per zone: every peer advert carries its
 * offer's zone, and a formatter per check cost more CPU (and young-generation garbage) than anything
 * else in parsing an advert while 20 agents formed a mesh (issue 17). A canonical id or an alias of
 * UTC (what adverts carry: agent/host-time-zone.ts) is looked up without any formatter: the first
 * `Intl.DateTimeFormat` of a process costs 20–30 ms of CPU and maps about 8 MB of ICU data for good
 * (issue 14), which every agent paid on its first peer advert, during formation. Only other names
 * (aliases such as US/Pacific, unknown strings) are tried with one.
 * @example isValidTimeZone('Europe/London') === true; isValidTimeZone('Mars/Base') === false
 */
export function isValidTimeZone(tz: string): boolean {
  const known = checkedZones.get(tz);
  if (known !== undefined) return known;
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  let valid: boolean;
  if (canonicalZones.has(tz) || UTC_ALIASES.has(tz)) valid = true;
  else {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      valid = true;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      valid = false;
    }
  }
  if (checkedZones.size >= MAX_CHECKED_ZONES) checkedZones.clear();
  checkedZones.set(tz, valid);
  return valid;
}
