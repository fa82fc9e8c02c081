/**
 * Placement end to end in one process, over real sockets: a hub and a gaming PC (static peers, no
 * mDNS), each with a fake Ollama (PROTOCOLS.md §1). The gaming PC has an NVIDIA GPU (a scripted
 * nvidia-smi) and a game rule; "starting the game" adds a process to its fake /proc.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Placement } from '../../scheduler/placement-view.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { createFakeImmichApi } from '../fakes/fake-immich-api.js';
import { createFakeImmichMl } from '../fakes/fake-immich-ml.js';
import { createFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { createFakeExec, createFakeFs, ok } from '../fakes/io.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

const KEY = 'placement-test-mesh-key-01234567';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function fakeOllama(models: string[]): Promise<FakeOllama> {
  const f = createFakeOllama({ models: models.map((name) => ({ name })) });
  await f.start();
  cleanups.push(() => f.stop());
  return f;
}

async function mesh(hubExtra: Record<string, unknown> = {}) {
  const hubOllama = await fakeOllama(['llama3.2:3b']);
  const pcOllama = await fakeOllama(['llama3.1:8b', 'llama3.2:3b']);
  const immichMl = createFakeImmichMl({});
  await immichMl.start();
  cleanups.push(() => immichMl.stop());
  const proc: Record<string, string> = { '/proc/1/comm': 'init\n' };
  const common = (name: string, ollamaUrl: string) => ({
    node: { name },
    mesh: { key: KEY },
    services: { ollama: { url: ollamaUrl }, 'immich-ml': { url: immichMl.url } },
    probes: { servicesIntervalSec: 1, activityIntervalSec: 1 },
  });
  const pc = await startTestAgent({
    config: { ...common('gaming-pc', pcOllama.url), offer: { notWhile: { processes: ['fakegame'] }, coolDownSec: 0 }, discovery: { mdns: { enabled: false }, healthIntervalMs: 200 } },
    deps: {
      exec: createFakeExec({ 'nvidia-smi': ok('NVIDIA GeForce RTX 4080, 00000000:01:00.0, 16376, 1200, 3\n') }),
      fs: createFakeFs(proc),
    },
  });
  cleanups.push(() => pc.stop());
  const hub = await startTestAgent({ config: { ...common('hub', hubOllama.url), discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] }, ...hubExtra } });
  cleanups.push(() => hub.stop());
  return { hub, pc, hubOllama, pcOllama, proc };
}

const placement = async (a: TestAgent): Promise<Placement> => (await (await fetch(`${a.url}/api/v1/placement`)).json()) as Placement;
const electedName = async (a: TestAgent, kind: 'ollama' | 'immich-ml' = 'ollama'): Promise<string | null> => {
  const p = await placement(a);
  return p.kinds[kind].candidates.find((c) => c.nodeId === p.kinds[kind].elected)?.name ?? null;
};
const put = async (a: TestAgent, path: string, body: unknown) => fetch(`${a.url}/api/v1${path}`, { method: 'PUT', headers: await a.admin(), body: JSON.stringify(body) });

describe('placement', () => {
  it('a game on the gaming PC moves Ollama to the hub, and the gaming PC unloads its models', async () => {
    const { hub, pc, pcOllama, proc } = await mesh();
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' ? true : undefined));
    // Something is loaded in the gaming PC's VRAM.
    await fetch(`${pcOllama.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', prompt: '' }) });
    expect(pcOllama.loadedModels()).toEqual(['llama3.1:8b']);

    proc['/proc/4242/comm'] = 'fakegame\n';
    await eventually(async () => ((await electedName(hub)) === 'hub' ? true : undefined));
    const p = await placement(hub);
    expect(p.kinds.ollama.candidates.find((c) => c.name === 'gaming-pc')?.reason).toBe('game running: fakegame');

    const unload = await pcOllama.waitForCall((c) => c.path === '/api/generate' && (c.body as { keep_alive?: unknown } | undefined)?.keep_alive === 0, 10_000);
    expect((unload.body as { model: string }).model).toBe('llama3.1:8b');
    await eventually(async () => (pcOllama.loadedModels().length === 0 ? true : undefined));
    const history = ((await (await fetch(`${pc.url}/api/v1/history`)).json()) as { entries: HistoryEntry[] }).entries;
    expect(history.some((e) => e.action === 'unload' && e.status === 'ok' && e.message.includes('llama3.1:8b'))).toBe(true);
    const hubHistory = ((await (await fetch(`${hub.url}/api/v1/history`)).json()) as { entries: HistoryEntry[] }).entries;
    expect(hubHistory.some((e) => e.type === 'placement' && e.message === 'Ollama → hub (always offered)')).toBe(true);

    delete proc['/proc/4242/comm'];
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' ? true : undefined));
  });

  it('"take out" and "offer" overrides on the gaming PC and a pin on the hub steer the placement, and expire', async () => {
    const { hub, pc } = await mesh();
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' ? true : undefined));

    const out = await put(pc, '/overrides/offer', { mode: 'out', forSec: 3600 });
    expect(out.status).toBe(200);
    await eventually(async () => ((await electedName(hub)) === 'hub' ? true : undefined));
    expect((await placement(hub)).kinds.ollama.candidates.find((c) => c.name === 'gaming-pc')?.reason).toMatch(/^taken out manually until \d\d:\d\d$/);

    expect((await put(pc, '/overrides/offer', { mode: 'auto' })).status).toBe(200);
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' ? true : undefined));

    expect((await put(hub, '/overrides/pins/ollama', { node: 'hub', forSec: 2 })).status).toBe(200);
    expect(await electedName(hub)).toBe('hub');
    expect((await placement(hub)).kinds.ollama.reason).toMatch(/^pinned manually until/);
    // The pin expires by itself (the elector's timer), without another request.
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' ? true : undefined), 10_000);

    const bad = await put(hub, '/overrides/pins/comfyui', { node: 'hub' });
    expect(bad.status).toBe(400);
    const unknown = await put(hub, '/overrides/pins/ollama', { node: 'nope' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/no node named "nope"; known: hub, gaming-pc/);
  });

  it('the hub pauses the Immich ML queues while no batch node is offered, resumes them after, and never resumes one a person paused', async () => {
    // A fake Immich server following PROTOCOLS.md §3 (v3.1.0: the /api/queues API).
    const immich = createFakeImmichApi({ version: '3.1.0', apiKeys: { admin: 'admin-key' } });
    await immich.start();
    cleanups.push(() => immich.stop());
    immich.setPaused('ocr', true); // paused by a person before we start
    const { hub, proc } = await mesh({ immich: { serverUrl: immich.url, apiKey: 'admin-key', settleSec: 2 } });
    await eventually(async () => ((await placement(hub)).kinds['immich-ml'].batchElected !== null ? true : undefined));
    expect(immich.queues.smartSearch?.isPaused).toBe(false);

    proc['/proc/4242/comm'] = 'fakegame\n';
    await eventually(async () => (immich.queues.smartSearch?.isPaused && immich.queues.faceDetection?.isPaused ? true : undefined));
    const history = async () => ((await (await fetch(`${hub.url}/api/v1/history`)).json()) as { entries: HistoryEntry[] }).entries;
    await eventually(async () => ((await history()).some((e) => e.action === 'pause-queues' && e.status === 'ok') ? true : undefined));
    expect((await history()).find((e) => e.action === 'pause-queues')?.message).toMatch(/paused Immich queues smartSearch, faceDetection: no batch node is offered; left alone: ocr/);

    delete proc['/proc/4242/comm'];
    await eventually(async () => (!immich.queues.smartSearch?.isPaused && !immich.queues.faceDetection?.isPaused ? true : undefined));
    expect(immich.queues.ocr?.isPaused).toBe(true); // not ours to resume
    const pauses = immich.calls.filter((c) => c.method === 'PUT');
    expect(pauses.map((c) => `${c.path} ${JSON.stringify(c.body)}`)).toEqual([
      '/api/queues/smartSearch {"isPaused":true}',
      '/api/queues/faceDetection {"isPaused":true}',
      '/api/queues/smartSearch {"isPaused":false}',
      '/api/queues/faceDetection {"isPaused":false}',
    ]);
  });

  it('a restarted hub settles as soon as the peers it knew have answered: batch work goes on, no pause in between (issue 12)', async () => {
    const immich = createFakeImmichApi({ version: '3.1.0', apiKeys: { admin: 'admin-key' } });
    await immich.start();
    cleanups.push(() => immich.stop());
    // settleSec far beyond the test's patience: only "the known peers answered" can settle in time.
    const immichConfig = { serverUrl: immich.url, apiKey: 'admin-key', settleSec: 600 };
    const { hub, pc } = await mesh({ immich: immichConfig });
    await eventually(async () => ((await placement(hub)).kinds['immich-ml'].batchElected !== null ? true : undefined));
    await hub.agent.stop(); // the registry (with the gaming PC) is saved in the data dir

    const again = await startTestAgent({
      dataDir: hub.dataDir,
      config: { node: { name: 'hub' }, mesh: { key: KEY }, immich: immichConfig, discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] } },
    });
    cleanups.push(() => again.agent.stop());
    const history = async () => ((await (await fetch(`${again.url}/api/v1/history`)).json()) as { entries: HistoryEntry[] }).entries;
    await eventually(async () => ((await history()).some((e) => e.action === 'resume-queues' && e.status === 'ok') ? true : undefined), 10_000);
    expect((await history()).some((e) => e.action === 'pause-queues')).toBe(false);
    expect(immich.calls.filter((c) => c.method === 'PUT')).toEqual([]);
  });

  it('an offer override set on the hub for the gaming PC is adopted by the PC; the PC\'s own later "auto" wins (issue 12)', async () => {
    const { hub, pc } = await mesh();
    // No mDNS here: the PC learns of the hub as a static peer (mDNS does this on a LAN).
    expect((await fetch(`${pc.url}/api/v1/peers`, { method: 'POST', headers: await pc.admin(), body: JSON.stringify({ url: hub.url }) })).status).toBe(201);
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' && (await placement(pc)).kinds.ollama.candidates.length === 2 ? true : undefined));
    const out = await put(hub, '/overrides/offer', { mode: 'out', node: 'gaming-pc', forSec: 3600 });
    expect(out.status).toBe(200);
    expect(((await out.json()) as { offer: { mode: string } }).offer.mode).toBe('out');
    // The PC adopts it: its own advert says so, and both agents elect the hub.
    await eventually(async () => (((await (await fetch(`${pc.url}/api/v1/node`)).json()) as { offerOverride: { mode: string } | null }).offerOverride?.mode === 'out' ? true : undefined));
    await eventually(async () => ((await electedName(hub)) === 'hub' && (await electedName(pc)) === 'hub' ? true : undefined));
    expect((await placement(pc)).kinds.ollama.candidates.find((c) => c.name === 'gaming-pc')?.why.code).toBe('taken-out');

    expect((await put(pc, '/overrides/offer', { mode: 'auto' })).status).toBe(200);
    await eventually(async () => ((await electedName(hub)) === 'gaming-pc' && (await electedName(pc)) === 'gaming-pc' ? true : undefined));
    // The hub's older "out" stays in its advert but no longer counts.
    expect((await (await fetch(`${pc.url}/api/v1/node`)).json()) as { offerOverride: unknown }).toMatchObject({ offerOverride: null });
    expect((await put(hub, '/overrides/offer', { mode: 'out', node: 'nope' })).status).toBe(404);
  });

  it('overrides survive a restart', async () => {
    const first = await startTestAgent({ config: { node: { name: 'pc' }, mesh: { key: KEY }, discovery: { mdns: { enabled: false } } } });
    expect((await put(first, '/overrides/offer', { mode: 'out', forSec: null })).status).toBe(200);
    expect((await put(first, '/overrides/pins/ollama', { node: 'pc' })).status).toBe(200);
    await first.agent.stop();
    const again = await startTestAgent({ dataDir: first.dataDir, config: { node: { name: 'pc' }, mesh: { key: KEY }, discovery: { mdns: { enabled: false } } } });
    cleanups.push(async () => {
      await again.agent.stop();
      await first.stop();
    });
    const overrides = (await (await fetch(`${again.url}/api/v1/overrides`)).json()) as { offer: { mode: string; untilMs: number | null } | null; pins: { kind: string }[] };
    expect(overrides.offer).toMatchObject({ mode: 'out', untilMs: null });
    expect(overrides.pins.map((p) => p.kind)).toEqual(['ollama']);
  });
});
