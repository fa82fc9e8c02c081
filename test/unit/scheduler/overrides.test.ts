import { describe, expect, it } from 'vitest';
import { newestOfferOverrideFor, newestPins, type OfferOverrideFor, type Pin } from '../../../agent/kernel/shapes/override.js';

const pin = (nodeId: string | null, setAtMs: number, kind: Pin['kind'] = 'ollama'): Pin => ({ kind, nodeId, untilMs: null, setAtMs });
const advertWith = (pins: Pin[]) => ({ advert: { pins } });

describe('mesh-wide overrides (issue 12)', () => {
  it('the newest pin per kind wins, wherever it was set; a newer clearing wins too', () => {
    expect(newestPins([pin('a', 1)], [advertWith([pin('b', 2)]), advertWith([pin('c', 1, 'immich-ml')])])).toEqual([pin('b', 2), pin('c', 1, 'immich-ml')]);
    expect(newestPins([pin('a', 1)], [advertWith([pin(null, 3)])])).toEqual([pin(null, 3)]);
    expect(newestPins([], [{ advert: null }, { advert: {} }])).toEqual([]);
  });

  it('ties break the same way on every agent, whatever order the adverts come in', () => {
    const one = newestPins([], [advertWith([pin('a', 5)]), advertWith([pin('b', 5)])]);
    const other = newestPins([], [advertWith([pin('b', 5)]), advertWith([pin('a', 5)])]);
    expect(one).toEqual(other);
  });

  it('the newest offer override for a node, ties: out over offer over auto', () => {
    const e = (nodeId: string, mode: OfferOverrideFor['mode'], setAtMs: number): OfferOverrideFor => ({ nodeId, mode, untilMs: null, setAtMs });
    expect(newestOfferOverrideFor('pc', [e('pc', 'out', 1), e('hub', 'out', 9), e('pc', 'auto', 2)])).toEqual(e('pc', 'auto', 2));
    expect(newestOfferOverrideFor('pc', [e('pc', 'auto', 2), e('pc', 'out', 2), e('pc', 'offer', 2)])?.mode).toBe('out');
    expect(newestOfferOverrideFor('nas', [e('pc', 'out', 1)])).toBeUndefined();
  });
});
