/**
 * The settings that apply live (issue 13): what the Setup page and `settings reset` change while the
 * agent runs. Everything else in the configuration is read once at start; this type is the whole
 * list of what is not. Parts read `current()` when they act and subscribe to the part they must
 * react to (the advert to `offer`, the elector to `placement`, the service probes to `services`),
 * instead of sharing one mutable config object.
 */
import { isDeepStrictEqual } from 'node:util';
import { createEmitter, type Unsubscribe } from './kernel/events.js';
import type { KindId } from './kernel/kinds.js';
import type { Logger } from './kernel/log.js';
import type { Offer, PlacementPolicy } from './kernel/shapes/offer.js';

export interface LiveSettings {
  /** Where each local service listens (enabling a kind needs a restart: its probe and listener start then). */
  services: Record<KindId, { url: string }>;
  offer: Offer;
  placement: PlacementPolicy;
}

export type LivePart = keyof LiveSettings;

export interface SettingsHolder {
  current(): Readonly<LiveSettings>;
  /** Replaces the settings; each listener of a part that changed is called once. Returns those parts. */
  set(next: LiveSettings): LivePart[];
  on<K extends LivePart>(part: K, listener: (value: LiveSettings[K]) => void): Unsubscribe;
}

const PARTS: readonly LivePart[] = ['services', 'offer', 'placement'];

export function createSettingsHolder(initial: LiveSettings, log: Logger): SettingsHolder {
  let value = structuredClone(initial);
  const events = createEmitter<{ [K in LivePart]: LiveSettings[K] }>((err) => log.error('settings listener failed', { error: String(err) }));
  return {
    current: () => value,
    set(next) {
      const changed = PARTS.filter((p) => !isDeepStrictEqual(value[p], next[p]));
      value = structuredClone(next);
      for (const p of changed) events.emit(p, value[p]);
      return changed;
    },
    on: (part, listener) => events.on(part, listener),
  };
}
