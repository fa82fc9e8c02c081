/**
 * The elector over a real peer registry and a FakeClock: one election per burst of registry
 * events, ONE armed timer for the next window boundary (no polling), pins via refresh(), and a
 * stop() that leaves nothing behind (DESIGN.md §4, §6.1, §6.7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../../agent/kernel/log.js';
import { createPeerRegistry, type PeerRegistry } from '../../../discovery/registry.js';
import type { Placement } from '../../../scheduler/placement-view.js';
import { createElector, type Elector } from '../../../scheduler/elector.js';
import type { Pin } from '../../../agent/kernel/shapes/override.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { GAMING_PC, HUB, WED, WORKSTATION, gamingOffer, gamingPc, hub } from '../../helpers/mesh-fixtures.js';
import { DEFAULT_POLICY } from '../../helpers/scheduler-fakes.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

/** 2026-11-26, the Thursday after WED (London on GMT). */
const THU = (hh: number, mm = 0): number => Date.UTC(2026, 10, 26, hh, mm);

interface Harness {
  clock: FakeClock;
  registry: PeerRegistry;
  elector: Elector;
  pins: Pin[];
  /** How many elections ran (every election reads the pins once). */
  elections: () => number;
  changes: { next: Placement; previous: Placement | null }[];
  start: () => Promise<void>;
}

const running: Elector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

function setup(opts: { nowMs?: number; log?: Logger } = {}): Harness {
  const clock = new FakeClock(opts.nowMs ?? WED(18, 48));
  const registry = createPeerRegistry({ selfId: HUB, downAfterMs: 60_000, log: silentLogger });
  registry.setSelf(hub(), 1, 'http://127.0.0.1:7650', clock.nowMs());
  registry.upsertMember({ advert: gamingPc(), seq: 1, source: 'mdns', url: 'http://127.0.0.2:7650', nowMs: clock.nowMs() });
  const pins: Pin[] = [];
  let reads = 0;
  const elector = createElector({
    registry,
    policy: () => DEFAULT_POLICY,
    pins: () => {
      reads += 1;
      return pins;
    },
    clock,
    log: opts.log ?? silentLogger,
    displayZone: 'Europe/London',
  });
  running.push(elector);
  const changes: Harness['changes'] = [];
  elector.onChange((next, previous) => changes.push({ next, previous }));
  return {
    clock,
    registry,
    elector,
    pins,
    elections: () => reads,
    changes,
    start: () => elector.start(new AbortController().signal),
  };
}

const ollamaWinner = (p: Placement | null | undefined): string | null | undefined => p?.kinds.ollama.elected;
const reasonOf = (p: Placement | null | undefined, id: string): string | undefined => p?.kinds.ollama.candidates.find((c) => c.nodeId === id)?.reason;

describe('elector', () => {
  it('elects on start and tells listeners (previous = null); nothing before start', async () => {
    const h = setup();
    expect(h.elector.current()).toBeNull();
    expect(h.clock.pendingTimers()).toBe(0);

    await h.start();

    expect(h.elections()).toBe(1);
    expect(ollamaWinner(h.elector.current())).toBe(HUB);
    expect(reasonOf(h.elector.current(), GAMING_PC)).toBe('outside window mon–fri 22:00–07:00, opens in 3 h 12 min');
    expect(h.elector.current()?.nextChangeAtMs).toBe(WED(22));
    expect(h.changes).toHaveLength(1);
    expect(h.changes[0]?.previous).toBeNull();
    expect(h.changes[0]?.next).toBe(h.elector.current());
  });

  it('start is idempotent and honours an aborted signal', async () => {
    const aborted = setup();
    const ctrl = new AbortController();
    ctrl.abort();
    await aborted.elector.start(ctrl.signal);
    expect(aborted.elector.current()).toBeNull();
    expect(aborted.clock.pendingTimers()).toBe(0);

    const h = setup();
    await h.start();
    await h.start();
    expect(h.elections()).toBe(1);
    expect(h.clock.pendingTimers()).toBe(1);
    // Subscribed once: one registry event → one election.
    h.registry.upsertMember({ advert: gamingPc(), seq: 2, source: 'mdns', url: 'http://127.0.0.2:7650', nowMs: h.clock.nowMs() });
    await h.clock.advance(0);
    expect(h.elections()).toBe(2);
  });

  it('re-elects once per burst of registry events, on the next tick, and emits one change', async () => {
    const h = setup();
    await h.start();
    const now = h.clock.nowMs();

    // One peer's advert and state arrive together, plus a new peer: four registry events.
    h.registry.upsertMember({ advert: sampleAdvert({ nodeId: WORKSTATION, name: 'workstation' }), seq: 1, source: 'mdns', url: 'http://127.0.0.3:7650', nowMs: now });
    h.registry.upsertMember({ advert: gamingPc(), seq: 2, source: 'static', url: 'http://127.0.0.4:7650', nowMs: now });
    h.registry.recordCheck(GAMING_PC, 'http://127.0.0.4:7650', { ok: false, error: 'timeout', definitive: false }, now);
    h.registry.upsertMember({ advert: gamingPc(), seq: 3, source: 'mdns', url: 'http://127.0.0.2:7650', nowMs: now });

    // Nothing happens synchronously: one coalescing tick is armed next to the boundary timer.
    expect(h.elections()).toBe(1);
    expect(h.changes).toHaveLength(1);
    expect(h.clock.pendingTimers()).toBe(2);

    await h.clock.advance(0);

    expect(h.elections()).toBe(2);
    expect(h.changes).toHaveLength(2);
    const names = h.changes[1]?.next.kinds.ollama.candidates.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['hub', 'gaming-pc', 'workstation']));
    expect(h.clock.pendingTimers()).toBe(1);
  });

  it('re-elects on an event that changes nothing, but emits no change', async () => {
    const h = setup();
    await h.start();
    h.registry.upsertMember({ advert: gamingPc(), seq: 7, source: 'mdns', url: 'http://127.0.0.2:7650', nowMs: h.clock.nowMs() });
    await h.clock.advance(0);
    expect(h.elections()).toBe(2);
    expect(h.changes).toHaveLength(1);
  });

  it('arms ONE timer for the next window boundary: at 22:00 the gaming PC wins with no registry event, then 07:00 is next', async () => {
    const h = setup();
    await h.start();
    expect(h.clock.pendingTimers()).toBe(1);

    // Just before the window opens: nothing.
    await h.clock.advance(WED(22) - h.clock.nowMs() - 1);
    expect(h.changes).toHaveLength(1);
    expect(ollamaWinner(h.elector.current())).toBe(HUB);

    // The boundary (windows are [from, to); the elector may fire a millisecond after it).
    await h.clock.advance(2);
    expect(h.changes).toHaveLength(2);
    const atTen = h.changes[1];
    expect(ollamaWinner(atTen?.next)).toBe(GAMING_PC);
    expect(atTen?.next.kinds.ollama.reason).toBe('window open until 07:00');
    expect(ollamaWinner(atTen?.previous)).toBe(HUB);
    expect(atTen?.next.kinds['immich-ml'].batchElected).toBe(GAMING_PC);
    expect(atTen?.next.nextChangeAtMs).toBe(THU(7));
    expect(h.elections()).toBe(2);
    expect(h.clock.pendingTimers()).toBe(1);

    // Quiet all night: no polling.
    await h.clock.advance(THU(7) - h.clock.nowMs() - 1);
    expect(h.changes).toHaveLength(2);
    expect(h.elections()).toBe(2);

    await h.clock.advance(2);
    expect(h.changes).toHaveLength(3);
    expect(ollamaWinner(h.elector.current())).toBe(HUB);
    expect(reasonOf(h.elector.current(), GAMING_PC)).toMatch(/^outside window mon–fri 22:00–07:00, opens in /);
    expect(h.clock.pendingTimers()).toBe(1);
  });

  it('a steady GPU load crosses forSec on the same timer, with no registry event; its cool-down end too (issue 12)', async () => {
    const h = setup({ nowMs: WED(23) });
    const offer = { ...gamingOffer, notWhile: { ...gamingOffer.notWhile, gpuUtilizationPct: 60, forSec: 5 } };
    const idle = { busy: null, busySinceMs: null, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: null };
    const hot = gamingPc({ offer, activity: { runningProcesses: [], gpuUtilizationPct: 95, checkedAtMs: WED(23) }, offerState: { ...idle, gpuHotSinceMs: WED(23) } });
    h.registry.upsertMember({ advert: hot, seq: 2, source: 'mdns', url: 'http://127.0.0.2:7650', nowMs: h.clock.nowMs() });
    await h.start();
    expect(ollamaWinner(h.elector.current())).toBe(GAMING_PC);
    expect(h.elector.current()?.nextChangeAtMs).toBe(WED(23) + 5000);
    await h.clock.advance(5001);
    expect(ollamaWinner(h.elector.current())).toBe(HUB);
    expect(reasonOf(h.elector.current(), GAMING_PC)).toBe('GPU busy: 95 % for over 5 s');
    expect(h.elections()).toBe(2);

    // The load ends: the PC advertises a cool-down; it comes back when that ends, again by the timer alone.
    const cooling = gamingPc({ offer, offerState: { ...idle, coolDownUntilMs: h.clock.nowMs() + 3000, lastBusy: { code: 'gpu-busy', params: { pct: null, sinceMs: WED(23), forSec: 5 } } } });
    h.registry.upsertMember({ advert: cooling, seq: 3, source: 'mdns', url: 'http://127.0.0.2:7650', nowMs: h.clock.nowMs() });
    await h.clock.advance(0);
    expect(reasonOf(h.elector.current(), GAMING_PC)).toBe('cooling down after GPU load, back in under a minute');
    await h.clock.advance(3001);
    expect(ollamaWinner(h.elector.current())).toBe(GAMING_PC);
  });

  it('refresh() re-elects after a pin change, and the pin expiry gets its own timer', async () => {
    const h = setup();
    await h.start();
    h.pins.push({ kind: 'ollama', nodeId: GAMING_PC, untilMs: WED(19, 30), setAtMs: h.clock.nowMs() });
    // Pins are not watched: the result stays until refresh().
    expect(ollamaWinner(h.elector.current())).toBe(HUB);

    h.elector.refresh();

    expect(h.changes).toHaveLength(2);
    expect(ollamaWinner(h.elector.current())).toBe(GAMING_PC);
    expect(h.elector.current()?.kinds.ollama.reason).toBe('pinned manually until 19:30');
    expect(h.elector.current()?.nextChangeAtMs).toBe(WED(19, 30));
    // The 22:00 timer was replaced, not added to.
    expect(h.clock.pendingTimers()).toBe(1);

    await h.clock.advance(WED(19, 30) - h.clock.nowMs() + 1);
    expect(h.changes).toHaveLength(3);
    expect(ollamaWinner(h.elector.current())).toBe(HUB);
    expect(h.elector.current()?.nextChangeAtMs).toBe(WED(22));
    expect(h.clock.pendingTimers()).toBe(1);
  });

  it('snapshot() is a fresh election that does not change current() or tell listeners', async () => {
    const h = setup();
    await h.start();
    const before = h.elector.current();
    await h.clock.advance(60 * 60_000); // 19:48: the countdown moved on
    h.pins.push({ kind: 'ollama', nodeId: GAMING_PC, untilMs: null, setAtMs: h.clock.nowMs() });

    const snap = h.elector.snapshot();

    expect(snap.atMs).toBe(WED(19, 48));
    expect(ollamaWinner(snap)).toBe(GAMING_PC);
    expect(snap.kinds.ollama.reason).toBe('pinned manually');
    expect(h.elector.current()).toBe(before);
    expect(ollamaWinner(h.elector.current())).toBe(HUB);
    expect(reasonOf(h.elector.current(), GAMING_PC)).toBe('outside window mon–fri 22:00–07:00, opens in 3 h 12 min');
    expect(h.changes).toHaveLength(1);
    expect(h.clock.pendingTimers()).toBe(1);
  });

  it('electFor() answers one request without touching current()', async () => {
    const h = setup();
    await h.start();
    const before = h.elector.current();
    const p = h.elector.electFor('ollama', 'llama3.1:8b');
    expect(p.elected).toBeNull();
    expect(p.candidates.find((c) => c.nodeId === HUB)?.reason).toBe('no model llama3.1:8b');
    expect(h.elector.electFor('ollama').elected).toBe(HUB);
    expect(h.elector.current()).toBe(before);
    expect(h.changes).toHaveLength(1);
  });

  it('stop() cancels the boundary timer and a pending burst, and nothing is emitted afterwards', async () => {
    const h = setup();
    await h.start();
    h.registry.upsertMember({ advert: sampleAdvert({ nodeId: WORKSTATION, name: 'workstation' }), seq: 1, source: 'mdns', url: 'http://127.0.0.3:7650', nowMs: h.clock.nowMs() });
    expect(h.clock.pendingTimers()).toBe(2);

    await h.elector.stop();
    expect(h.clock.pendingTimers()).toBe(0);
    await h.elector.stop(); // idempotent

    h.registry.remove(WORKSTATION);
    h.registry.upsertMember({ advert: gamingPc(), seq: 9, source: 'static', url: 'http://127.0.0.4:7650', nowMs: h.clock.nowMs() });
    h.pins.push({ kind: 'ollama', nodeId: GAMING_PC, untilMs: null, setAtMs: h.clock.nowMs() });
    h.elector.refresh();
    await h.clock.advance(THU(8) - h.clock.nowMs()); // past both window edges
    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.changes).toHaveLength(1);
    expect(h.elections()).toBe(1);
  });

  it('an unsubscribed listener hears nothing more; a throwing listener is logged and does not stop the others', async () => {
    const { log, records } = captureLog();
    const h = setup({ log });
    const heard: string[] = [];
    const off = h.elector.onChange(() => heard.push('removed'));
    h.elector.onChange(() => {
      throw new Error('listener broke');
    });
    h.elector.onChange(() => heard.push('kept'));
    await h.start();
    expect(heard).toEqual(['removed', 'kept']);

    off();
    h.pins.push({ kind: 'ollama', nodeId: GAMING_PC, untilMs: null, setAtMs: h.clock.nowMs() });
    h.elector.refresh();

    expect(heard).toEqual(['removed', 'kept', 'kept']);
    expect(h.changes).toHaveLength(2);
    const failures = records.filter((r) => r.level === 'error' && r.message === 'placement listener failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]?.fields['error']).toBe('Error: listener broke');
  });
});
