/**
 * Registry records for placement tests: a CPU-only hub and a gaming PC with an RTX 4080 whose
 * offer is weekdays 22:00–07:00 (Europe/London) and not while cs2.exe runs.
 */
import type { NodeAdvert } from '../../discovery/advert.js';
import type { NodeRecord } from '../../discovery/types.js';
import type { Offer } from '../../agent/kernel/shapes/offer.js';
import { offerSchema } from '../../agent/kernel/shapes/offer.js';
import { sampleAdvert } from './sample-advert.js';

export const HUB = '1'.repeat(32);
export const GAMING_PC = '2'.repeat(32);
export const WORKSTATION = '3'.repeat(32);

const model = (name: string) => ({ name, sizeBytes: 2e9, family: 'llama', parameterSize: '3B', quantization: 'Q4_K_M' });

export function node(advert: NodeAdvert, overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    nodeId: advert.nodeId,
    name: advert.name,
    state: 'up',
    sources: ['mdns'],
    addresses: ['192.168.1.2'],
    macs: ['aa:bb:cc:dd:ee:ff'],
    lastSeenMs: 0,
    downSinceMs: null,
    seq: 1,
    activeUrl: 'http://192.168.1.2:7650',
    paths: [],
    advert,
    ...overrides,
  };
}

export function hub(overrides: Partial<NodeAdvert> = {}): NodeAdvert {
  const base = sampleAdvert({ nodeId: HUB, name: 'hub' });
  return {
    ...base,
    hardware: { ...(base.hardware as NonNullable<NodeAdvert['hardware']>), cpu: { model: 'Intel N100', cores: 4, physicalCores: 4 }, gpus: [] },
    services: {
      ollama: { ...(base.services.ollama as NonNullable<NodeAdvert['services']['ollama']>), models: [model('llama3.2:3b')], loaded: [] },
      'immich-ml': { url: 'http://127.0.0.1:3003', state: 'up', reason: null, checkedAtMs: 0, version: null, models: [], loaded: [] },
      whisper: null,
    },
    offer: offerSchema.parse({ timeZone: 'Europe/London' }),
    // A hub with an Immich API key: batch work can be held while no GPU node is offered.
    pausesImmichQueues: true,
    speed: null,
    ...overrides,
  };
}

export const gamingOffer: Offer = offerSchema.parse({
  timeZone: 'Europe/London',
  windows: [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '22:00', to: '07:00' },
    { days: ['sat', 'sun'], from: '00:00', to: '24:00' },
  ],
  notWhile: { processes: ['cs2.exe', 'steam'] },
  vramReserveMb: 2048,
  coolDownSec: 300,
});

export function gamingPc(overrides: Partial<NodeAdvert> = {}): NodeAdvert {
  const base = sampleAdvert({ nodeId: GAMING_PC, name: 'gaming-pc' });
  return {
    ...base,
    services: {
      ollama: { ...(base.services.ollama as NonNullable<NodeAdvert['services']['ollama']>), models: [model('llama3.1:8b'), model('llama3.2:3b')], loaded: [] },
      'immich-ml': { url: 'http://127.0.0.1:3003', state: 'up', reason: null, checkedAtMs: 0, version: null, models: [], loaded: [] },
      whisper: null,
    },
    offer: gamingOffer,
    offerState: { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: null },
    ...overrides,
  };
}

/** 2026-11-25 is a Wednesday; London is on GMT (UTC+0) then. */
export const WED = (hh: number, mm = 0): number => Date.UTC(2026, 10, 25, hh, mm);
