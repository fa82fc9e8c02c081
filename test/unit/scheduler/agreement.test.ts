/**
 * Agreement from shared inputs only (issue 12): two agents with the same adverts elect the same
 * node, whatever their history — one started hours earlier and saw other winners (the workstation
 * alone, then the gaming PC arriving), the other starts fresh. Before issue 12 the first one kept its
 * private previous winner (hysteresis) and a pin set on it alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeAdvert } from '../../../discovery/advert.js';
import { silentLogger } from '../../../agent/kernel/log.js';
import { createPeerRegistry, type PeerRegistry } from '../../../discovery/registry.js';
import { createElector, type Elector } from '../../../scheduler/elector.js';
import type { Pin } from '../../../agent/kernel/shapes/override.js';
import type { Placement } from '../../../scheduler/placement-view.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { GAMING_PC, HUB, WED, WORKSTATION, gamingOffer, gamingPc, hub } from '../../helpers/mesh-fixtures.js';
import { DEFAULT_POLICY } from '../../helpers/scheduler-fakes.js';

const HOUR = 3_600_000;
const GAME = { code: 'game' as const, params: { process: 'cs2.exe' } };
const idle = { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: null };
/** A second GPU node equal to the gaming PC (same priority and VRAM), always offered: ties are where histories differ. */
const workstation = (o: Partial<NodeAdvert> = {}): NodeAdvert => gamingPc({ nodeId: WORKSTATION, name: 'workstation', offer: { ...gamingOffer, windows: [] }, ...o });
const pinTo = (nodeId: string, setAtMs: number): Pin => ({ kind: 'ollama', nodeId, untilMs: null, setAtMs });

/** The inputs of the election table tests (election.test.ts), as adverts. */
const table: { name: string; atMs: number; adverts: () => NodeAdvert[] }[] = [
  { name: 'night: the GPU nodes tie', atMs: WED(23), adverts: () => [hub(), gamingPc(), workstation()] },
  { name: 'afternoon: the PC is outside its window', atMs: WED(18, 48), adverts: () => [hub(), gamingPc(), workstation()] },
  { name: 'a game on the PC', atMs: WED(23), adverts: () => [hub(), gamingPc({ offerState: { ...idle, busy: GAME, busySinceMs: WED(22), lastBusy: GAME } }), workstation()] },
  { name: 'the PC cooling down', atMs: WED(23), adverts: () => [hub(), gamingPc({ offerState: { ...idle, coolDownUntilMs: WED(23, 4), lastBusy: GAME } }), workstation()] },
  { name: 'the PC taken out', atMs: WED(23), adverts: () => [hub(), gamingPc({ offerOverride: { mode: 'out', untilMs: WED(23, 30), setAtMs: WED(22) } }), workstation()] },
  { name: 'a pin set on the hub, to the PC outside its window', atMs: WED(12), adverts: () => [hub({ pins: [pinTo(GAMING_PC, WED(11))] }), gamingPc(), workstation()] },
  { name: 'a pin to the PC while a game runs there', atMs: WED(23), adverts: () => [hub({ pins: [pinTo(GAMING_PC, WED(11))] }), gamingPc({ offerState: { ...idle, busy: GAME, busySinceMs: WED(22), lastBusy: GAME } }), workstation()] },
  { name: 'two pins: the newer one counts', atMs: WED(23), adverts: () => [hub({ pins: [pinTo(GAMING_PC, WED(11))] }), gamingPc({ pins: [pinTo(HUB, WED(12))] }), workstation()] },
  { name: 'the workstation advertises it serves', atMs: WED(23), adverts: () => [hub(), gamingPc(), workstation({ serving: { ollama: WED(20), 'immich-ml': WED(20), whisper: null, batch: WED(20) } })] },
  {
    name: 'no GPU node offered and nobody can pause Immich queues',
    atMs: WED(18, 48),
    adverts: () => [hub({ pausesImmichQueues: false }), gamingPc(), workstation({ offerOverride: { mode: 'out', untilMs: null, setAtMs: WED(1) } })],
  },
];

const running: Elector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

function agent(selfId: string, startMs: number, ownPins: Pin[] = []): { clock: FakeClock; registry: PeerRegistry; elector: Elector } {
  const clock = new FakeClock(startMs);
  const registry = createPeerRegistry({ selfId, downAfterMs: 24 * HOUR, log: silentLogger });
  const elector = createElector({ registry, policy: () => DEFAULT_POLICY, pins: () => ownPins, clock, log: silentLogger, displayZone: 'Europe/London' });
  running.push(elector);
  return { clock, registry, elector };
}

let seq = 10;
function show(a: { clock: FakeClock; registry: PeerRegistry }, selfId: string, adverts: NodeAdvert[]): void {
  seq += 1;
  for (const ad of adverts) {
    if (ad.nodeId === selfId) a.registry.setSelf(ad, seq, 'http://127.0.0.1:7650', a.clock.nowMs());
    else a.registry.upsertMember({ advert: ad, seq, source: 'mdns', url: `http://10.0.0.${ad.nodeId.slice(0, 1)}:7650`, nowMs: a.clock.nowMs() });
  }
}

const verdict = (p: Placement | null) =>
  Object.fromEntries(Object.entries(p?.kinds ?? {}).map(([kind, k]) => [kind, { elected: k.elected, batchElected: k.batchElected, why: k.why, candidates: k.candidates.map((c) => [c.nodeId, c.eligible, c.why.code]) }]));

describe('agents with the same adverts and different histories elect the same node', () => {
  it.each(table)('$name', async ({ atMs, adverts }) => {
    // The hub's agent has run for 6 hours: first it saw the workstation alone (and elected it), then
    // the gaming PC arrived; a pin to the workstation it set itself long ago came and went.
    const veteran = agent(HUB, atMs - 6 * HOUR, [pinTo(WORKSTATION, WED(0) - 2 * HOUR), { kind: 'ollama', nodeId: null, untilMs: null, setAtMs: WED(0) - HOUR }]);
    show(veteran, HUB, [hub(), workstation()]);
    await veteran.elector.start(new AbortController().signal);
    expect(veteran.elector.current()?.kinds.ollama.elected).toBe(WORKSTATION);
    await veteran.clock.advance(HOUR);
    show(veteran, HUB, [hub(), gamingPc(), workstation()]);
    await veteran.clock.advance(atMs - veteran.clock.nowMs());
    show(veteran, HUB, adverts());
    await veteran.clock.advance(0);

    // The gaming PC's agent starts now, with the same adverts.
    const fresh = agent(GAMING_PC, atMs);
    show(fresh, GAMING_PC, adverts());
    await fresh.elector.start(new AbortController().signal);

    expect(verdict(veteran.elector.current())).toEqual(verdict(fresh.elector.current()));
  });
});
