/**
 * Summarised logging of mDNS adverts we ignore (malformed, another mesh, too many at once). Issue
 * 11: a flood of 20,000 distinct names wrote one line per name, ~275 lines/s. Now the first ignored
 * advert of a minute is logged with its details, and at the end of that minute one line per
 * loudest source says how many were ignored: "ignored 20,000 adverts from 10.0.0.13 in the last
 * minute". At most 2 + MAX_SOURCES_LOGGED lines a minute, whatever arrives.
 */
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';
import { groupDigits } from '../agent/kernel/group-digits.js';
import type { Logger } from '../agent/kernel/log.js';

export const NOISE_WINDOW_MS = 60_000;
/** Sources counted one by one per window; beyond that they share one counter. */
const MAX_SOURCES = 256;
const MAX_SOURCES_LOGGED = 3;

export interface AdvertNoise {
  /** One ignored advert from `source` (the packet's sender address) for `reason`. */
  ignored(source: string | undefined, reason: string, details: Record<string, unknown>): void;
  /** Logs what is pending and cancels the timer. */
  stop(): void;
}

export function createAdvertNoise(opts: { clock: Clock; log: Logger }): AdvertNoise {
  let counts = new Map<string, { count: number; reasons: Set<string> }>();
  let others = 0;
  let cancel: CancelTimer | null = null;

  const flush = (): void => {
    cancel = null;
    const ranked = [...counts.entries()].sort((a, b) => b[1].count - a[1].count);
    for (const [source, { count, reasons }] of ranked.slice(0, MAX_SOURCES_LOGGED)) {
      opts.log.warn(`ignored ${groupDigits(count)} ${count === 1 ? 'advert' : 'adverts'} from ${source} in the last minute`, { reasons: [...reasons].join('; ') });
    }
    const rest = ranked.slice(MAX_SOURCES_LOGGED).reduce((n, [, c]) => n + c.count, 0) + others;
    if (rest > 0) opts.log.warn(`ignored ${groupDigits(rest)} more adverts from ${Math.max(0, ranked.length - MAX_SOURCES_LOGGED)}${others > 0 ? '+' : ''} other sources in the last minute`);
    counts = new Map();
    others = 0;
  };

  return {
    ignored(source, reason, details) {
      const from = source ?? 'an unknown address';
      if (cancel === null) {
        opts.log.warn('ignoring an mDNS advert', { from, reason, ...details, note: 'further ones are summarised once a minute' });
        cancel = opts.clock.setTimeout(flush, NOISE_WINDOW_MS);
        // The one logged in detail is not counted again in the summary.
        return;
      }
      const entry = counts.get(from);
      if (entry) {
        entry.count++;
        // Reasons quote what the sender wrote: keep a few, short.
        if (entry.reasons.size < 3) entry.reasons.add(reason.slice(0, 120));
      } else if (counts.size < MAX_SOURCES) counts.set(from, { count: 1, reasons: new Set([reason.slice(0, 120)]) });
      else others++;
    },
    stop() {
      if (cancel === null) return;
      cancel();
      flush();
    },
  };
}
