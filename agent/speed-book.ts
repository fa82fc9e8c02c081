/**
 * This node's own speed (issue 15): the moving windows of what its services measured while serving
 * (api/proxy/speed-meter.ts), and the figures it advertises. Only the node that serves records, so
 * a relayed answer is counted once, by the node whose GPU did the work. A change is told at most
 * once per `minIntervalMs` (the first at once, the rest gathered), so a busy node does not
 * re-publish its advert on every answer and peers do not re-fetch it every second.
 */
import type { CancelTimer, Clock } from './kernel/clock.js';
import { createEmitter, type Unsubscribe } from './kernel/events.js';
import type { Logger } from './kernel/log.js';
import type { AdvertisedSpeed, SpeedSample } from './kernel/shapes/speed.js';
import { advertisedSpeedOf, recordSample, type SpeedSubject, type SpeedWindows } from '../scheduler/speed.js';

/** Gathers changes for this long before the advert is published again. */
export const SPEED_CHANGE_INTERVAL_MS = 5000;

/** The windows hold one node's figures: its own. */
const SELF = 'self';

export interface SpeedBook {
  record(subject: Omit<SpeedSubject, 'node'>, sample: SpeedSample): void;
  /** What this node advertises now (empty before anything was measured). */
  advertised(): AdvertisedSpeed;
  onChange(listener: () => void): Unsubscribe;
  /** Cancels a pending change. */
  stop(): void;
}

export function createSpeedBook(opts: { clock: Clock; log: Logger; minIntervalMs?: number }): SpeedBook {
  const minIntervalMs = opts.minIntervalMs ?? SPEED_CHANGE_INTERVAL_MS;
  let windows: SpeedWindows = new Map();
  let lastToldMs = -Infinity;
  let pending: CancelTimer | null = null;
  const events = createEmitter<{ change: undefined }>((err) => opts.log.error('speed listener failed', { error: String(err) }));

  const tell = (): void => {
    pending = null;
    lastToldMs = opts.clock.monotonicMs();
    events.emit('change', undefined);
  };

  return {
    record(subject, sample) {
      const before = windows;
      windows = recordSample(windows, { ...subject, node: SELF }, sample, opts.clock.nowMs());
      if (windows === before || pending) return;
      const waitMs = lastToldMs + minIntervalMs - opts.clock.monotonicMs();
      if (waitMs <= 0) tell();
      else pending = opts.clock.setTimeout(tell, waitMs);
    },
    advertised: () => advertisedSpeedOf(windows, SELF, opts.clock.nowMs()),
    onChange: (listener) => events.on('change', listener),
    stop() {
      pending?.();
      pending = null;
    },
  };
}
