/** scheduler/election.ts with measured speed (issue 15): among equals the faster serves, with a margin. */
import { describe, expect, it } from 'vitest';
import { electKind as electKindRaw, type ElectionInput } from '../../../scheduler/election.js';
import { describeKind } from '../../../scheduler/placement-view.js';
import { placementPolicySchema } from '../../../agent/kernel/shapes/offer.js';
import { offerSchema } from '../../../agent/kernel/shapes/offer.js';
import type { AdvertisedSpeed, SpeedFigure } from '../../../agent/kernel/shapes/speed.js';
import type { NodeAdvert } from '../../../discovery/advert.js';
import { GAMING_PC, HUB, WED, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';

const MODEL = 'llama3.2:3b';
const figure = (genTokPerSec: number, n = 5): SpeedFigure => ({ genTokPerSec, promptTokPerSec: null, ttftMs: null, loadMs: null, n, atMs: WED(12), source: 'traffic' });
const speed = (models: Record<string, number>): AdvertisedSpeed => ({ models: Object.fromEntries(Object.entries(models).map(([m, v]) => [m, figure(v)])), tasks: {} });
/** Both always offered with the same priority: only speed (or VRAM, node id) can tell them apart. */
const equal = (priority = 10): Partial<NodeAdvert> => ({ offer: offerSchema.parse({ timeZone: 'Europe/London', priority }) });

function electOllama(adverts: NodeAdvert[], model: string | undefined = MODEL) {
  const i: ElectionInput = { nodes: adverts.map((a) => node(a)), policy: placementPolicySchema.parse({}), pins: [], nowMs: WED(12) };
  return describeKind(electKindRaw('ollama', i, model === undefined ? {} : { model }).placement, { nowMs: i.nowMs, zone: 'Europe/London' });
}

describe('election by measured speed', () => {
  it('with no figures today\'s order holds (VRAM: the gaming PC)', () => {
    const p = electOllama([hub(equal()), gamingPc(equal())]);
    expect(p.elected).toBe(GAMING_PC);
    expect(p.why.code).toBe('always-offered');
  });

  it('with equal priorities the faster node wins, and the reason names both figures', () => {
    const p = electOllama([hub({ ...equal(), speed: speed({ [MODEL]: 118 }) }), gamingPc({ ...equal(), speed: speed({ [MODEL]: 8 }) })]);
    expect(p.elected).toBe(HUB);
    expect(p.why.code).toBe('fastest');
    expect(p.reason).toBe('fastest for llama3.2:3b: 118 tok/s; gaming-pc 8 tok/s');
  });

  it('the faster node that already wins says speed is why', () => {
    const p = electOllama([hub({ ...equal(), speed: speed({ [MODEL]: 8 }) }), gamingPc({ ...equal(), speed: speed({ [MODEL]: 120 }) })]);
    expect(p.elected).toBe(GAMING_PC);
    expect(p.reason).toBe('fastest for llama3.2:3b: 120 tok/s; hub 8 tok/s');
  });

  it('within the 15 % margin the incumbent keeps serving, without a speed reason', () => {
    // The PC serves now (it advertises so); the hub is 10 % faster: not enough to move.
    const pc = gamingPc({ ...equal(), speed: speed({ [MODEL]: 100 }), serving: { ollama: WED(1), 'immich-ml': null, whisper: null, batch: null } });
    const p = electOllama([hub({ ...equal(), speed: speed({ [MODEL]: 110 }) }), pc]);
    expect(p.elected).toBe(GAMING_PC);
    expect(p.why.code).toBe('always-offered');
    // Beyond the margin it moves.
    expect(electOllama([hub({ ...equal(), speed: speed({ [MODEL]: 116 }) }), pc]).elected).toBe(HUB);
  });

  it('a higher priority wins whatever the figures say', () => {
    const p = electOllama([hub({ ...equal(20), speed: speed({ [MODEL]: 8 }) }), gamingPc({ ...equal(10), speed: speed({ [MODEL]: 120 }) })]);
    expect(p.elected).toBe(HUB);
    expect(p.why.code).toBe('always-offered');
  });

  it('an unmeasured node is neither displaced nor displaces', () => {
    expect(electOllama([hub({ ...equal(), speed: speed({ [MODEL]: 500 }) }), gamingPc(equal())]).elected).toBe(GAMING_PC);
    expect(electOllama([hub(equal()), gamingPc({ ...equal(), speed: speed({ [MODEL]: 1 }) })]).elected).toBe(GAMING_PC);
  });

  it('compares the figures of the requested model only', () => {
    const pc = gamingPc({ ...equal(), speed: speed({ [MODEL]: 8, 'llama3.1:8b': 90 }) });
    // The hub has both models too.
    const h = hub({ ...equal(), services: pc.services, speed: speed({ [MODEL]: 118, 'llama3.1:8b': 1 }) });
    expect(electOllama([h, pc], MODEL).elected).toBe(HUB);
    expect(electOllama([h, pc], 'llama3.1:8b').elected).toBe(GAMING_PC);
  });

  it('with no model named, the model measured most decides; elections are the same whatever the node order', () => {
    const h = hub({ ...equal(), speed: { models: { [MODEL]: figure(118, 20), 'qwen3:8b': figure(1, 2) }, tasks: {} } });
    const pc = gamingPc({ ...equal(), speed: { models: { [MODEL]: figure(8, 20), 'qwen3:8b': figure(90, 2) }, tasks: {} } });
    expect(electOllama([h, pc], undefined).elected).toBe(HUB);
    expect(electOllama([pc, h], undefined)).toEqual(electOllama([h, pc], undefined));
  });
});
