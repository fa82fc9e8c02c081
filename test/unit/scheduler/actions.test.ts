/**
 * Actions on placement transitions, driven by a hand-emitting Elector and a FakeClock. Ollama
 * actions go over loopback to the faithful fake Ollama (PROTOCOLS.md §1.6); the Immich queue pauser
 * is a recording stub (its own behaviour is covered in queue-pauser.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NodeAdvert } from '../../../discovery/advert.js';
import type { Service } from '../../../agent/kernel/lifecycle.js';
import type { NodeRecord } from '../../../discovery/types.js';
import { createActions, type ActionsOptions } from '../../../scheduler/actions.js';
import type { Placement } from '../../../scheduler/placement-view.js';
import type { HistoryEntry } from '../../../scheduler/history-schema.js';
import type { QueuePauser, QueueSyncResult } from '../../../scheduler/actions.js';
import { preloadModels, unloadAllModels } from '../../../agent/adapters/ollama-models.js';
import { createFakeOllama, type FakeOllama } from '../../fakes/fake-ollama.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.js';
import { GAMING_PC, HUB, WED, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';
import { createFakeElector, memoryHistory, placementAt, type FakeElector, type MemoryHistory } from '../../helpers/scheduler-fakes.js';

/** 2026-11-26, the Thursday after WED (London on GMT). */
const THU = (hh: number, mm = 0): number => Date.UTC(2026, 10, 26, hh, mm);
const RETRY = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 4000 };
const WAIT = { timeout: 5000, interval: 5 };

// ---- placements as the real election makes them; "self" is the gaming PC unless said otherwise ----

const GAME = { code: 'game' as const, params: { process: 'cs2.exe' } };
const nodesWith = (pc: NodeRecord): NodeRecord[] => [node(hub()), pc];
const busyPc = (): NodeAdvert =>
  gamingPc({ offerState: { busy: GAME, busySinceMs: WED(23, 5), gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: GAME } });
const ollamaDownPc = (): NodeAdvert => {
  const a = gamingPc();
  a.services.ollama = { ...(a.services.ollama as NonNullable<NodeAdvert['services']['ollama']>), state: 'down', reason: 'connection refused at http://127.0.0.1:11434' };
  return a;
};

/** Wednesday 23:00: inside the gaming PC's window, it serves. */
const eligible = (): Placement => placementAt(nodesWith(node(gamingPc())), WED(23));
/** Wednesday 18:48: its window is closed; batch work is held. */
const closed = (): Placement => placementAt(nodesWith(node(gamingPc())), WED(18, 48));
const transitions = {
  busy: (): Placement => placementAt(nodesWith(node(busyPc())), WED(23, 5)),
  window: (): Placement => placementAt(nodesWith(node(gamingPc())), THU(7)),
  down: (): Placement => placementAt(nodesWith(node(gamingPc(), { state: 'down', downSinceMs: WED(23, 5) })), WED(23, 6)),
  ollamaDown: (): Placement => placementAt(nodesWith(node(ollamaDownPc())), WED(23, 5)),
};
const selfReason = (p: Placement): string => p.kinds.ollama.candidates.find((c) => c.nodeId === GAMING_PC)?.reason ?? '?';

// ---- harness ----

const fakes: FakeOllama[] = [];
const services: Service[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFakeOllama(): Promise<FakeOllama> {
  const fake = createFakeOllama({ models: [{ name: 'llama3.1:8b' }, { name: 'llama3.2:3b' }] });
  fakes.push(fake);
  await fake.start();
  return fake;
}

/** Loads a model the way a client would (an empty generate), then forgets the calls. */
async function loadModel(fake: FakeOllama, model: string): Promise<void> {
  const res = await fetch(`${fake.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model, prompt: '', stream: false }) });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  expect(fake.loadedModels()).toContain(model);
  fake.clearCalls();
}

interface Harness {
  clock: FakeClock;
  elector: FakeElector;
  history: MemoryHistory;
  actions: Service;
  /** URLs the actions fetched (every attempt goes through here). */
  fetched: string[];
  records: ReturnType<typeof captureLog>['records'];
}

/** `localOllamaUrl`: this node's Ollama, controlled through the real adapter (agent/adapters/ollama-models.ts). */
function setup(opts: Partial<ActionsOptions> & { initial: Placement | null; nowMs?: number; localOllamaUrl?: string | null }): Harness {
  const clock = new FakeClock(opts.nowMs ?? WED(23));
  const elector = createFakeElector(opts.initial);
  const history = memoryHistory(clock.nowMs);
  const { log, records } = captureLog();
  const fetched: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    fetched.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  const { initial: _initial, nowMs: _nowMs, localOllamaUrl, ...rest } = opts;
  const url = localOllamaUrl ?? null;
  const actions = createActions({
    selfId: GAMING_PC,
    elector,
    history,
    clock,
    log,
    models: url
      ? {
          ollama: {
            unloadAll: (signal) => unloadAllModels({ url, fetch: recordingFetch, signal }),
            preload: (models, signal) => preloadModels({ url, fetch: recordingFetch, models, signal }),
          },
        }
      : {},
    unloadOnLeave: true,
    warmUpModels: [],
    queuePauser: null,
    retry: RETRY,
    settleMs: 60_000,
    ...rest,
  });
  services.push(actions);
  return { clock, elector, history, actions, fetched, records };
}

const start = (s: Service): Promise<void> => s.start(new AbortController().signal);
const actionEntries = (h: Harness, action: NonNullable<HistoryEntry['action']>): HistoryEntry[] => h.history.entries.filter((e) => e.action === action);
const generateBodies = (fake: FakeOllama): unknown[] => fake.calls.filter((c) => c.method === 'POST' && c.path === '/api/generate').map((c) => c.body);

describe('actions: Ollama on this node', () => {
  it.each([
    ['a game starts', 'busy' as const],
    ['the window closes', 'window' as const],
  ])('unloads every loaded model when %s (eligible → ineligible, with a GPU)', async (_what, key) => {
    const fake = await startFakeOllama();
    await loadModel(fake, 'llama3.1:8b');
    const h = setup({ initial: eligible(), localOllamaUrl: fake.url });
    await start(h.actions);
    const next = transitions[key]();
    const reason = selfReason(next);
    expect(next.kinds.ollama.candidates.find((c) => c.nodeId === GAMING_PC)?.eligible).toBe(false);

    h.elector.emit(next);

    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(1), WAIT);
    expect(actionEntries(h, 'unload')[0]).toEqual({
      atMs: WED(23),
      type: 'action',
      kind: 'ollama',
      action: 'unload',
      nodeId: GAMING_PC,
      nodeName: 'gaming-pc',
      status: 'ok',
      message: `unloaded llama3.1:8b to free VRAM: ${reason}`,
    });
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status ?? '-'}`)).toEqual(['GET /api/ps 200', 'POST /api/generate 200']);
    expect(generateBodies(fake)).toEqual([{ model: 'llama3.1:8b', prompt: '', keep_alive: 0, stream: false }]);
    expect(fake.loadedModels()).toEqual([]);
  });

  it('unloads on a machine whose GPU the probe does not see, when a game starts there (issue 12)', async () => {
    const fake = await startFakeOllama();
    await loadModel(fake, 'llama3.1:8b');
    const noGpu = (busy: boolean): Placement => {
      const pc = gamingPc({ hardware: { ...(gamingPc().hardware as NonNullable<NodeAdvert['hardware']>), gpus: [] }, offer: { ...gamingPc().offer!, windows: [] } });
      return placementAt(nodesWith(node(busy ? { ...pc, offerState: { busy: GAME, busySinceMs: WED(23, 5), gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: GAME } } : pc)), WED(23, 5));
    };
    const h = setup({ initial: noGpu(false), localOllamaUrl: fake.url });
    await start(h.actions);
    h.elector.emit(noGpu(true));
    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(1), WAIT);
    expect(actionEntries(h, 'unload')[0]?.message).toBe('unloaded llama3.1:8b to free VRAM: game running: cs2.exe');
    expect(fake.loadedModels()).toEqual([]);
  });

  it('says so when nothing was loaded', async () => {
    const fake = await startFakeOllama();
    const h = setup({ initial: eligible(), localOllamaUrl: fake.url });
    await start(h.actions);
    h.elector.emit(transitions.busy());
    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(1), WAIT);
    expect(actionEntries(h, 'unload')[0]).toMatchObject({ status: 'ok', message: 'no Ollama model was loaded (game running: cs2.exe)' });
    expect(generateBodies(fake)).toEqual([]);
  });

  it.each([
    ['the node is down', 'down' as const, true],
    ['its Ollama is down', 'ollamaDown' as const, true],
    ['unloadOnLeave is off', 'busy' as const, false],
  ])('does not unload when %s', async (_what, key, unloadOnLeave) => {
    const fake = await startFakeOllama();
    await loadModel(fake, 'llama3.1:8b');
    const h = setup({ initial: eligible(), localOllamaUrl: fake.url, unloadOnLeave });
    await start(h.actions);
    const next = transitions[key]();
    expect(next.kinds.ollama.candidates.find((c) => c.nodeId === GAMING_PC)?.eligible).toBe(false);
    if (key === 'down') expect(selfReason(next)).toBe('down since 23:05');
    if (key === 'ollamaDown') expect(selfReason(next)).toBe('Ollama is down: connection refused at http://127.0.0.1:11434');

    h.elector.emit(next);
    await h.clock.advance(0);
    await h.actions.stop(); // waits for anything that did start

    expect(h.fetched).toEqual([]);
    expect(actionEntries(h, 'unload')).toEqual([]);
    expect(fake.calls).toEqual([]);
    expect(fake.loadedModels()).toEqual(['llama3.1:8b']);
  });

  it('warms the configured models up when this node becomes eligible (missing ones are named)', async () => {
    const fake = await startFakeOllama();
    const h = setup({ initial: closed(), localOllamaUrl: fake.url, warmUpModels: ['llama3.1:8b', 'gemma3:27b'] });
    await start(h.actions);
    expect(h.fetched).toEqual([]); // no warm-up just for starting

    h.elector.emit(eligible());

    await vi.waitFor(() => expect(actionEntries(h, 'warm-up')).toHaveLength(1), WAIT);
    expect(actionEntries(h, 'warm-up')[0]).toMatchObject({
      type: 'action',
      kind: 'ollama',
      nodeId: GAMING_PC,
      nodeName: 'gaming-pc',
      status: 'ok',
      message: 'preloaded llama3.1:8b; not on this node: gemma3:27b',
    });
    expect(generateBodies(fake)).toEqual([
      { model: 'llama3.1:8b', prompt: '', stream: false },
      { model: 'gemma3:27b', prompt: '', stream: false },
    ]);
    expect(fake.loadedModels()).toEqual(['llama3.1:8b']);

    // Still eligible: nothing more.
    const fetchedBefore = h.fetched.length;
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(23, 30)));
    await h.clock.advance(0);
    await h.actions.stop();
    expect(h.fetched).toHaveLength(fetchedBefore);
    expect(actionEntries(h, 'warm-up')).toHaveLength(1);
  });

  it('retries a failing unload with backoff on the clock and ends in one "failed" entry without throwing', async () => {
    const fake = await startFakeOllama();
    const url = fake.url;
    await fake.stop(); // connection refused from now on
    const h = setup({ initial: eligible(), localOllamaUrl: url });
    await start(h.actions);

    h.elector.emit(transitions.busy());

    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(1), WAIT);
    expect(actionEntries(h, 'unload')[0]).toMatchObject({ status: 'retrying' });
    expect(actionEntries(h, 'unload')[0]?.message).toMatch(/^unloading Ollama models \(game running: cs2\.exe\) failed \(attempt 1\): could not list the loaded models/);
    // The second try waits for the clock: the settle timer plus one backoff sleep.
    expect(h.fetched).toHaveLength(1);
    expect(h.clock.pendingTimers()).toBe(2);

    await h.clock.advance(RETRY.baseDelayMs); // the ceiling of the first wait
    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(2), WAIT);
    expect(actionEntries(h, 'unload')[1]?.status).toBe('retrying');
    expect(h.fetched).toHaveLength(2);

    await h.clock.advance(RETRY.baseDelayMs * 2);
    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(3), WAIT);
    const last = actionEntries(h, 'unload')[2];
    expect(last?.status).toBe('failed');
    expect(last?.message).toMatch(/^unloading Ollama models \(game running: cs2\.exe\) failed: could not list the loaded models/);
    expect(h.fetched).toHaveLength(3);
    expect(h.records.some((r) => r.level === 'error' && r.message === 'unloading Ollama models (game running: cs2.exe) failed')).toBe(true);
    expect(h.clock.pendingTimers()).toBe(1); // only the settle timer is left

    await h.clock.advance(RETRY.maxDelayMs * 4);
    expect(h.fetched).toHaveLength(3); // gave up for good
  });

  it('a retried unload succeeds once Ollama is back', async () => {
    const fake = await startFakeOllama();
    await fake.stop();
    const h = setup({ initial: eligible(), localOllamaUrl: fake.url });
    await start(h.actions);
    h.elector.emit(transitions.busy());
    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(1), WAIT);

    await fake.start(); // same port
    await loadModel(fake, 'llama3.2:3b');
    await h.clock.advance(RETRY.baseDelayMs);

    await vi.waitFor(() => expect(actionEntries(h, 'unload')).toHaveLength(2), WAIT);
    expect(actionEntries(h, 'unload').map((e) => e.status)).toEqual(['retrying', 'ok']);
    expect(actionEntries(h, 'unload')[1]?.message).toBe('unloaded llama3.2:3b to free VRAM: game running: cs2.exe');
    expect(generateBodies(fake)).toEqual([{ model: 'llama3.2:3b', prompt: '', keep_alive: 0, stream: false }]);
  });
});

describe('actions: Immich queues (hub)', () => {
  const SETTLE_MS = 10_000;

  function stubPauser(impl?: (available: boolean, signal?: AbortSignal) => Promise<QueueSyncResult>) {
    const calls: boolean[] = [];
    const pauser: QueuePauser = {
      setBatchAvailable(available, signal) {
        calls.push(available);
        if (impl) return impl(available, signal);
        return Promise.resolve(
          available
            ? { paused: [], resumed: ['smartSearch', 'faceDetection'], skipped: [] }
            : { paused: ['smartSearch', 'faceDetection'], resumed: [], skipped: [{ queue: 'ocr', reason: 'already paused by someone else; left alone' }] },
        );
      },
    };
    return { pauser, calls };
  }

  const hubSetup = (initial: Placement | null, pauser: QueuePauser, nowMs = WED(18, 48)): Harness =>
    setup({ initial, nowMs, selfId: HUB, queuePauser: pauser, settleMs: SETTLE_MS });

  it('does nothing before settleMs; then pauses while no batch node is elected and resumes when one is', async () => {
    const { pauser, calls } = stubPauser();
    const held = closed();
    expect(held.kinds['immich-ml'].batchElected).toBeNull();
    const h = hubSetup(held, pauser);
    await start(h.actions);

    await h.clock.advance(SETTLE_MS - 1);
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(19))); // still held, before settle
    await h.clock.advance(0);
    expect(calls).toEqual([]);
    expect(actionEntries(h, 'pause-queues')).toEqual([]);

    await h.clock.advance(1);
    expect(calls).toEqual([false]);
    expect(actionEntries(h, 'pause-queues')).toEqual([
      {
        atMs: WED(18, 48) + SETTLE_MS,
        type: 'action',
        kind: 'immich-ml',
        action: 'pause-queues',
        nodeId: null,
        nodeName: null,
        status: 'ok',
        message: 'paused Immich queues smartSearch, faceDetection: no batch node is offered; left alone: ocr (already paused by someone else; left alone)',
      },
    ]);

    const available = placementAt(nodesWith(node(gamingPc())), WED(23));
    expect(available.kinds['immich-ml'].batchElected).toBe(GAMING_PC);
    h.elector.emit(available);
    await h.clock.advance(0);
    expect(calls).toEqual([false, true]);
    expect(actionEntries(h, 'resume-queues')).toEqual([
      expect.objectContaining({
        kind: 'immich-ml',
        nodeId: GAMING_PC,
        nodeName: 'gaming-pc',
        status: 'ok',
        message: 'resumed Immich queues smartSearch, faceDetection: batch work goes to gaming-pc',
      }),
    ]);

    // Same availability: no call. Held again: paused again.
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(23, 30)));
    await h.clock.advance(0);
    expect(calls).toEqual([false, true]);
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), THU(7)));
    await h.clock.advance(0);
    expect(calls).toEqual([false, true, false]);
    expect(actionEntries(h, 'pause-queues')).toHaveLength(2);
  });

  it('a batch node found before settleMs means no pause at all, only a resume', async () => {
    const { pauser, calls } = stubPauser();
    const h = hubSetup(closed(), pauser);
    await start(h.actions);
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(23)));
    await h.clock.advance(SETTLE_MS);
    expect(calls).toEqual([true]);
    expect(actionEntries(h, 'pause-queues')).toEqual([]);
    expect(actionEntries(h, 'resume-queues').map((e) => e.status)).toEqual(['ok']);
  });
});

describe('actions: settling at start (issue 12)', () => {
  it('acts on the queues as soon as every known peer has answered, not at settleMs; no pause/resume blink', async () => {
    const calls: boolean[] = [];
    const pauser: QueuePauser = { setBatchAvailable: (available) => (calls.push(available), Promise.resolve({ paused: [], resumed: [], skipped: [] })) };
    let answered = false;
    // The hub restarts at night: the gaming PC is known from the last run but has not answered yet.
    const waiting = placementAt(nodesWith(node(gamingPc(), { state: 'down', downSinceMs: WED(22) })), WED(23));
    expect(waiting.kinds['immich-ml'].batchElected).toBeNull();
    const h = setup({ initial: waiting, selfId: HUB, queuePauser: pauser, settleMs: 60_000, peersAnswered: () => answered, nowMs: WED(23) });
    await start(h.actions);
    await h.clock.advance(1000);
    expect(calls).toEqual([]); // not paused while the PC has not answered
    answered = true;
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(23, 0)));
    await h.clock.advance(0);
    expect(calls).toEqual([true]); // settled on the answer, long before settleMs: batch work goes to the PC
    expect(h.clock.pendingTimers()).toBe(0); // the settle timer is cancelled
  });

  it('when every known peer has already answered at start, settles at once', async () => {
    const calls: boolean[] = [];
    const pauser: QueuePauser = { setBatchAvailable: (available) => (calls.push(available), Promise.resolve({ paused: [], resumed: [], skipped: [] })) };
    const h = setup({ initial: closed(), selfId: HUB, queuePauser: pauser, settleMs: 60_000, peersAnswered: () => true, nowMs: WED(18, 48) });
    await start(h.actions);
    await h.clock.advance(0);
    expect(calls).toEqual([false]);
  });
});

describe('actions: Immich queues after a failure', () => {
  it('a pause that finally failed is tried again at the next election that still has no batch node', async () => {
    const calls: boolean[] = [];
    let immichUp = false;
    const pauser: QueuePauser = {
      setBatchAvailable(available) {
        calls.push(available);
        return immichUp ? Promise.resolve({ paused: ['smartSearch'], resumed: [], skipped: [] }) : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:2283'));
      },
    };
    const h = setup({ initial: closed(), selfId: HUB, queuePauser: pauser, settleMs: 1000, nowMs: WED(18, 48) });
    await start(h.actions);
    await h.clock.advance(1000 + RETRY.maxDelayMs * RETRY.attempts);
    expect(actionEntries(h, 'pause-queues').map((e) => e.status)).toEqual(['retrying', 'retrying', 'failed']);
    expect(calls).toEqual([false, false, false]);

    // Immich is back; the queues are still running although no node may take batch work.
    immichUp = true;
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(19)));
    await h.clock.advance(0);

    expect(calls).toEqual([false, false, false, false]);
    expect(actionEntries(h, 'pause-queues').at(-1)?.status).toBe('ok');
  });
});

describe('actions: placement history', () => {
  it('records who serves each kind as "<label> → <name> (<reason>)", only when the elected node changes', async () => {
    const h = setup({ initial: closed(), selfId: HUB, nowMs: WED(18, 48) });
    await start(h.actions);
    const placements = (): HistoryEntry[] => h.history.entries.filter((e) => e.type === 'placement');

    expect(placements()).toEqual([
      { atMs: WED(18, 48), type: 'placement', kind: 'ollama', nodeId: HUB, nodeName: 'hub', action: null, status: 'info', message: 'Ollama → hub (always offered)' },
      {
        atMs: WED(18, 48),
        type: 'placement',
        kind: 'immich-ml',
        nodeId: HUB,
        nodeName: 'hub',
        action: null,
        status: 'info',
        message: 'Immich ML → hub (always offered); batch → held (no batch node)',
      },
    ]);

    // Only a countdown changed: nothing to record.
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(19)));
    expect(placements()).toHaveLength(2);

    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(23)));
    expect(placements().slice(2).map((e) => [e.kind, e.nodeId, e.nodeName, e.message])).toEqual([
      ['ollama', GAMING_PC, 'gaming-pc', 'Ollama → gaming-pc (window open until 07:00)'],
      ['immich-ml', GAMING_PC, 'gaming-pc', 'Immich ML → gaming-pc (window open until 07:00); batch → gaming-pc'],
    ]);

    h.elector.emit(placementAt([], WED(23, 10)));
    expect(placements().slice(4).map((e) => [e.nodeId, e.nodeName, e.message])).toEqual([
      [null, null, 'Ollama → nowhere (no eligible node)'],
      [null, null, 'Immich ML → nowhere (no eligible node); batch → held (no batch node)'],
    ]);
  });
});

describe('actions: stop()', () => {
  it('waits for an action in flight, then leaves no timers and no listener', async () => {
    let finish: (r: QueueSyncResult) => void = () => undefined;
    const pauser: QueuePauser = {
      setBatchAvailable: () =>
        new Promise<QueueSyncResult>((resolve) => {
          finish = resolve; // ignores the signal: stop() must still wait for it
        }),
    };
    const h = setup({ initial: closed(), selfId: HUB, queuePauser: pauser, settleMs: 1000, nowMs: WED(18, 48) });
    await start(h.actions);
    await h.clock.advance(1000);

    let stopped = false;
    const stopping = h.actions.stop().then(() => {
      stopped = true;
    });
    await flushMicrotasks();
    expect(stopped).toBe(false);

    finish({ paused: ['smartSearch'], resumed: [], skipped: [] });
    await stopping;
    expect(stopped).toBe(true);
    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.elector.listenerCount()).toBe(0);

    const before = h.history.entries.length;
    h.elector.emit(placementAt(nodesWith(node(gamingPc())), WED(23)));
    await h.clock.advance(60_000);
    expect(h.history.entries).toHaveLength(before);
  });

  it('cuts a backoff wait short and records no failure for the abort', async () => {
    // Fails only once the clock has stopped moving, so the (jittered, possibly 0 ms) backoff sleep
    // is armed but cannot fire inside the same advance().
    let fail: (err: Error) => void = () => undefined;
    const pauser: QueuePauser = {
      setBatchAvailable: () =>
        new Promise<QueueSyncResult>((_resolve, reject) => {
          fail = reject;
        }),
    };
    const h = setup({ initial: closed(), selfId: HUB, queuePauser: pauser, settleMs: 1000, nowMs: WED(18, 48) });
    await start(h.actions);
    await h.clock.advance(1000);
    fail(new Error('Immich answered 503'));
    await flushMicrotasks();
    expect(actionEntries(h, 'pause-queues').map((e) => e.status)).toEqual(['retrying']);
    expect(actionEntries(h, 'pause-queues')[0]?.message).toBe('pausing Immich ML queues failed (attempt 1): Immich answered 503');
    expect(h.clock.pendingTimers()).toBe(1); // the backoff sleep

    await h.actions.stop();

    expect(h.clock.pendingTimers()).toBe(0);
    await h.clock.advance(60_000);
    expect(actionEntries(h, 'pause-queues').map((e) => e.status)).toEqual(['retrying']);
  });

  it('before settleMs, stop() cancels the settle timer', async () => {
    const h = setup({ initial: closed(), selfId: HUB, queuePauser: { setBatchAvailable: () => Promise.reject(new Error('unused')) }, nowMs: WED(18, 48) });
    await start(h.actions);
    expect(h.clock.pendingTimers()).toBe(1);
    await h.actions.stop();
    await h.actions.stop(); // idempotent
    expect(h.clock.pendingTimers()).toBe(0);
  });
});
