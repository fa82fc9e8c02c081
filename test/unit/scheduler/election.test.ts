import { describe, expect, it } from 'vitest';
import { elect as electRaw, electKind as electKindRaw, type ElectionInput } from '../../../scheduler/election.js';
import { describeKind, describePlacement } from '../../../scheduler/placement-view.js';
import { placementPolicySchema } from '../../../agent/kernel/shapes/offer.js';
import type { NodeRecord } from '../../../discovery/types.js';
import { GAMING_PC, HUB, WED, WORKSTATION, gamingOffer, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const policy = placementPolicySchema.parse({});
const input = (nodes: NodeRecord[], nowMs: number, extra: Partial<ElectionInput> = {}): ElectionInput => ({
  nodes,
  policy,
  pins: [],
  nowMs,
  ...extra,
});
// The election with its words, as the API shows it (London time).
const elect = (i: ElectionInput) => describePlacement(electRaw(i), 'Europe/London');
const electKind = (kind: 'ollama' | 'immich-ml', i: ElectionInput, o: { model?: string } = {}) => ({ placement: describeKind(electKindRaw(kind, i, o).placement, { nowMs: i.nowMs, zone: 'Europe/London' }) });
const GAME = { code: 'game' as const, params: { process: 'cs2.exe' } };
const reasonOf = (p: ReturnType<typeof elect>, kind: 'ollama' | 'immich-ml', id: string) => p.kinds[kind].candidates.find((c) => c.nodeId === id)?.reason;

describe('election', () => {
  it('inside the window the GPU node serves; the hub is next', () => {
    const p = elect(input([node(hub()), node(gamingPc())], WED(23)));
    expect(p.kinds.ollama.elected).toBe(GAMING_PC);
    expect(p.kinds.ollama.reason).toBe('window open until 07:00');
    expect(p.kinds.ollama.candidates.map((c) => [c.name, c.eligible])).toEqual([
      ['gaming-pc', true],
      ['hub', true],
    ]);
    expect(p.kinds['immich-ml'].batchElected).toBe(GAMING_PC);
  });

  it('outside the window the hub serves, and says when the GPU comes back; batch work is held', () => {
    const p = elect(input([node(hub()), node(gamingPc())], WED(18, 48)));
    expect(p.kinds.ollama.elected).toBe(HUB);
    expect(reasonOf(p, 'ollama', GAMING_PC)).toBe('outside window mon–fri 22:00–07:00, opens in 3 h 12 min');
    expect(p.kinds['immich-ml'].elected).toBe(HUB);
    expect(p.kinds['immich-ml'].batchElected).toBeNull(); // the hub has no GPU: not a batch node by default
    expect(p.nextChangeAtMs).toBe(WED(22));
  });

  it.each([
    ['a game', { offerState: { busy: GAME, busySinceMs: 0, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: GAME } }, 'game running: cs2.exe'],
    [
      'a cool-down',
      { offerState: { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: WED(23, 4), lastBusy: GAME } },
      'cooling down after cs2.exe, back in 4 min',
    ],
    ['taken out', { offerOverride: { mode: 'out' as const, untilMs: WED(23, 30), setAtMs: 0 } }, 'taken out manually until 23:30'],
  ])('%s takes the GPU node out with its reason', (_what, overrides, reason) => {
    const p = elect(input([node(hub()), node(gamingPc(overrides))], WED(23)));
    expect(p.kinds.ollama.elected).toBe(HUB);
    expect(reasonOf(p, 'ollama', GAMING_PC)).toBe(reason);
  });

  it('"offer now" opens a closed window until it expires', () => {
    const pc = gamingPc({ offerOverride: { mode: 'offer', untilMs: WED(20), setAtMs: 0 } });
    const p = elect(input([node(hub()), node(pc)], WED(18)));
    expect(p.kinds.ollama.elected).toBe(GAMING_PC);
    expect(p.kinds.ollama.reason).toBe('offered manually until 20:00');
    expect(elect(input([node(hub()), node(pc)], WED(20))).kinds.ollama.elected).toBe(HUB);
  });

  it('a down node, a down service and too little free VRAM are not eligible', () => {
    const down = node(gamingPc(), { state: 'down', downSinceMs: WED(14, 2) });
    expect(reasonOf(elect(input([node(hub()), down], WED(23))), 'ollama', GAMING_PC)).toBe('down since 14:02');
    const noOllama = gamingPc();
    noOllama.services.ollama = { ...(noOllama.services.ollama as NonNullable<typeof noOllama.services.ollama>), state: 'down', reason: 'connection refused at http://127.0.0.1:11434' };
    expect(reasonOf(elect(input([node(noOllama)], WED(23))), 'ollama', GAMING_PC)).toBe('Ollama is down: connection refused at http://127.0.0.1:11434');
    const full = gamingPc();
    const gpu = full.hardware?.gpus[0];
    if (gpu) gpu.vramUsedMb = 15_000;
    expect(reasonOf(elect(input([node(full)], WED(23))), 'ollama', GAMING_PC)).toBe('only 1.3 GB VRAM free (keeps 2.0 GB for the owner)');
  });

  it('for one request, a node without the model is not a candidate', () => {
    const r = electKind('ollama', input([node(hub()), node(gamingPc())], WED(23)), { model: 'llama3.1:8b' });
    expect(r.placement.elected).toBe(GAMING_PC);
    expect(r.placement.candidates.find((c) => c.nodeId === HUB)?.reason).toBe('no model llama3.1:8b');
    const outside = electKind('ollama', input([node(hub()), node(gamingPc())], WED(12)), { model: 'llama3.1:8b' });
    expect(outside.placement.elected).toBeNull();
    // The tag defaults to latest: "llama3.2" is "llama3.2:latest", which nobody has.
    expect(electKind('ollama', input([node(hub())], WED(12)), { model: 'llama3.2' }).placement.elected).toBeNull();
  });

  it('orders by prefer, then priority, then VRAM, then node id', () => {
    const ws = sampleAdvert({ nodeId: WORKSTATION, name: 'workstation' });
    const nodes = [node(hub()), node(gamingPc({ offer: { ...gamingPc().offer!, windows: [] } })), node({ ...ws, services: gamingPc().services })];
    const byRank = (extra: Partial<ElectionInput> = {}) => elect(input(nodes, WED(12), extra)).kinds.ollama.candidates.map((c) => c.name);
    expect(byRank()).toEqual(['gaming-pc', 'workstation', 'hub']); // same VRAM: id decides
    expect(byRank({ policy: placementPolicySchema.parse({ ollama: { prefer: ['hub'] } }) })).toEqual(['hub', 'gaming-pc', 'workstation']);
  });

  it('hysteresis: the node that advertises it serves keeps the work unless it becomes ineligible or is clearly beaten', () => {
    const ws = { ...sampleAdvert({ nodeId: '0'.repeat(32), name: 'workstation' }), services: gamingPc().services };
    const pc = gamingPc({ offer: { ...gamingPc().offer!, windows: [] } });
    const first = elect(input([node(hub()), node(pc)], WED(12)));
    expect(first.kinds.ollama.elected).toBe(GAMING_PC);
    // Same priority and VRAM, lower id: would win a fresh election, but does not unseat the node that serves.
    const serving = gamingPc({ offer: pc.offer, serving: { ollama: WED(11), 'immich-ml': null, whisper: null, batch: null } });
    expect(elect(input([node(hub()), node(pc), node(ws)], WED(12))).kinds.ollama.elected).toBe('0'.repeat(32));
    expect(elect(input([node(hub()), node(serving), node(ws)], WED(12))).kinds.ollama.elected).toBe(GAMING_PC);
    // Two claim it (after a partition): the longest-serving keeps it, on every agent.
    const wsServing = { ...ws, serving: { ollama: WED(11, 30), 'immich-ml': null, whisper: null, batch: null } };
    expect(elect(input([node(hub()), node(serving), node(wsServing)], WED(12))).kinds.ollama.elected).toBe(GAMING_PC);
    // A higher priority is clearly better.
    const third = elect(input([node(hub()), node(serving), node({ ...ws, offer: { ...gamingPc().offer!, windows: [], priority: 99 } })], WED(12)));
    expect(third.kinds.ollama.elected).toBe('0'.repeat(32));
  });

  it('a pin wins over windows and ranking; a node that is down makes it wait, and says so', () => {
    const pin = { kind: 'ollama' as const, nodeId: GAMING_PC, untilMs: WED(19), setAtMs: 0 };
    const pinned = elect(input([node(hub()), node(gamingPc())], WED(12), { pins: [pin] }));
    expect(pinned.kinds.ollama.elected).toBe(GAMING_PC);
    expect(pinned.kinds.ollama.reason).toBe('pinned manually until 19:00');
    expect(pinned.kinds.ollama.why).toEqual({ code: 'pinned', params: { untilMs: WED(19) } });
    expect(pinned.nextChangeAtMs).toBe(WED(19));
    const expired = elect(input([node(hub()), node(gamingPc())], WED(19), { pins: [pin] }));
    expect(expired.kinds.ollama.elected).toBe(HUB);
    const down = elect(input([node(hub()), node(gamingPc(), { state: 'down', downSinceMs: WED(11) })], WED(12), { pins: [pin] }));
    expect(down.kinds.ollama.elected).toBe(HUB);
    expect(down.kinds.ollama.why.code).toBe('pin-waiting');
    expect(down.kinds.ollama.reason).toBe('pin to gaming-pc until 19:00 waiting: down since 11:00');
    const gone = elect(input([node(hub())], WED(12), { pins: [pin] }));
    expect(gone.kinds.ollama.reason).toBe(`pin to ${GAMING_PC.slice(0, 8)} until 19:00 waiting: down`);
  });

  it.each([
    ['a game', { offerState: { busy: GAME, busySinceMs: 0, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: GAME } }, 'game'],
    ['offer out', { offerOverride: { mode: 'out' as const, untilMs: null, setAtMs: 0 } }, 'taken-out'],
    ['a cool-down', { offerState: { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: WED(12, 4), lastBusy: GAME } }, 'cooling-down'],
    ['GPU load', { offerState: { busy: null, busySinceMs: null, gpuHotSinceMs: WED(11), coolDownUntilMs: null, lastBusy: null }, offer: { ...gamingOffer, notWhile: { ...gamingOffer.notWhile, gpuUtilizationPct: 60 } } }, 'gpu-busy'],
  ])('the owner beats a pin: %s takes the pinned node out, the pin waits and applies again after', (_what, overrides, code) => {
    const pin = { kind: 'ollama' as const, nodeId: GAMING_PC, untilMs: null, setAtMs: 0 };
    const p = elect(input([node(hub()), node(gamingPc(overrides))], WED(12), { pins: [pin] }));
    expect(p.kinds.ollama.elected).toBe(HUB);
    const c = p.kinds.ollama.candidates.find((x) => x.nodeId === GAMING_PC);
    expect(c?.eligible).toBe(false);
    expect(c?.why.code === 'pin-waiting' && c.why.params.because.code).toBe(code);
    expect(p.kinds.ollama.reason).toMatch(/^pin to gaming-pc waiting: /);
    expect(elect(input([node(hub()), node(gamingPc())], WED(12), { pins: [pin] })).kinds.ollama.elected).toBe(GAMING_PC);
  });

  it('VRAM reserve on the pinned node beats the pin', () => {
    const full = gamingPc();
    const gpu = full.hardware?.gpus[0];
    if (gpu) gpu.vramUsedMb = 15_000;
    const p = elect(input([node(hub()), node(full)], WED(23), { pins: [{ kind: 'ollama', nodeId: GAMING_PC, untilMs: null, setAtMs: 0 }] }));
    expect(p.kinds.ollama.elected).toBe(HUB);
    expect(p.kinds.ollama.reason).toBe('pin to gaming-pc waiting: only 1.3 GB VRAM free (keeps 2.0 GB for the owner)');
  });

  it('pins are mesh-wide: the newest pin per kind among the adverts and our own counts, and a newer clearing removes it', () => {
    const old = { kind: 'ollama' as const, nodeId: GAMING_PC, untilMs: null, setAtMs: 100 };
    const newer = { kind: 'ollama' as const, nodeId: HUB, untilMs: null, setAtMs: 200 };
    const cleared = { kind: 'ollama' as const, nodeId: null, untilMs: null, setAtMs: 300 };
    const pcOpen = gamingPc({ offer: { ...gamingOffer, windows: [] } });
    expect(elect(input([node(hub({ pins: [newer] })), node(pcOpen)], WED(12), { pins: [old] })).kinds.ollama.elected).toBe(HUB);
    expect(elect(input([node(hub({ pins: [old] })), node(pcOpen)], WED(12), { pins: [newer] })).kinds.ollama.why.code).toBe('pinned');
    expect(elect(input([node(hub({ pins: [newer] })), node({ ...pcOpen, pins: [cleared] })], WED(12))).kinds.ollama.why.code).toBe('always-offered');
  });

  it('a steady GPU load crosses forSec by time alone: the election says when', () => {
    const offer = { ...gamingOffer, windows: [], notWhile: { ...gamingOffer.notWhile, gpuUtilizationPct: 60, forSec: 5 } };
    const hot = gamingPc({ offer, activity: { runningProcesses: [], gpuUtilizationPct: 95, checkedAtMs: 0 }, offerState: { busy: null, busySinceMs: null, gpuHotSinceMs: WED(12), coolDownUntilMs: null, lastBusy: null } });
    const before = elect(input([node(hub()), node(hot)], WED(12) + 4000));
    expect(before.kinds.ollama.elected).toBe(GAMING_PC);
    expect(before.nextChangeAtMs).toBe(WED(12) + 5000);
    const after = elect(input([node(hub()), node(hot)], WED(12) + 5000));
    expect(after.kinds.ollama.elected).toBe(HUB);
    expect(reasonOf(after, 'ollama', GAMING_PC)).toBe('GPU busy: 95 % for over 5 s');
  });

  it('never fails an Immich job: with nobody to pause the queues, batch work goes to the best eligible node and says why', () => {
    const held = elect(input([node(hub({ pausesImmichQueues: true })), node(gamingPc())], WED(18)));
    expect(held.kinds['immich-ml'].batchElected).toBeNull();
    const served = elect(input([node(hub({ pausesImmichQueues: false })), node(gamingPc())], WED(18)));
    expect(served.kinds['immich-ml'].batchElected).toBe(HUB);
    expect(served.kinds['immich-ml'].batchReason).toBe('no GPU node offered, and no Immich API key to pause the queues');
    expect(served.kinds['immich-ml'].candidates.find((c) => c.nodeId === HUB)?.batch).toBe(true);
    // No GPU anywhere and no batchNodes: every eligible node may take batch work, pausable or not.
    const cpuOnly = elect(input([node(hub({ pausesImmichQueues: true }))], WED(18)));
    expect(cpuOnly.kinds['immich-ml'].batchElected).toBe(HUB);
    expect(cpuOnly.kinds['immich-ml'].batchWhy?.code).toBe('batch-any-node');
  });

  it('batchNodes limits batch work to the named nodes', () => {
    const p = elect(input([node(hub()), node(gamingPc())], WED(23), { policy: placementPolicySchema.parse({ 'immich-ml': { batchNodes: ['hub'] } }) }));
    expect(p.kinds['immich-ml'].batchElected).toBe(HUB);
    expect(p.kinds['immich-ml'].elected).toBe(GAMING_PC);
  });

  it('agents with the same inputs elect the same result, whatever order they list nodes in', () => {
    const nodes = [node(hub()), node(gamingPc()), node({ ...sampleAdvert({ nodeId: WORKSTATION, name: 'workstation' }), services: gamingPc().services })];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let hour = 0; hour < 48; hour += 1) {
      const t = WED(0) + hour * 3_600_000;
      const reference = elect(input(nodes, t));
      for (let agent = 0; agent < 5; agent++) {
        const shuffled = [...nodes].sort(() => random() - 0.5);
        expect(elect(input(shuffled, t)).kinds).toEqual(reference.kinds);
      }
    }
  });
});
