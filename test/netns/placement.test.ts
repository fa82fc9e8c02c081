/**
 * Issue 4's and issue 12's acceptance tests, on two hosts (network namespaces on one bridge, real
 * mDNS, real agents, a fake Ollama inside each namespace on 127.0.0.1:11434):
 *
 *   hub: CPU only, Ollama with llama3.2:3b, a fake Immich ML, no Immich API key;
 *   pc:  a (fake) NVIDIA GPU whose load is read from a file, Ollama with llama3.1:8b and
 *        llama3.2:3b, "not while fakegame runs" and "not while the GPU is above 60 % for 5 s",
 *        cool-down 3 s.
 *
 * Ollama is placed on the pc (the GPU wins). A process named `fakegame` starts on the pc → within
 * one activity probe plus one election the hub elects itself, the pc's candidate says
 * 'game running: fakegame', and the pc unloads its Ollama models (history: 'unload', 'ok'). The
 * game ends → placement returns to the pc (after its cool-down). Issue 12: a steady GPU load takes the
 * pc out on time and it returns after its cool-down; a pin set on the pc is followed by both agents;
 * a pin to the pc loses to a game there (and says so); the hub answers Immich image work itself.
 * The tests share the two agents and run in order. Needs root (CI runs as root); namespaces are
 * deleted in afterAll, also when the test fails.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAdvert } from '../../discovery/advert.js';
import type { Placement } from '../../scheduler/placement-view.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { BIN } from '../helpers/cli.js';
import { AGENT_PORT, startLabAgent, waitUntil, type LabAgent } from './agents.js';
import { collectOutput, createNetnsLab, netnsAvailable, type Lab } from './netns.js';

const available = await netnsAvailable();
const KEY = 'netns-placement-mesh-key-0123456';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const OLLAMA_PORT = 11434;
const OLLAMA_URL = `http://127.0.0.1:${OLLAMA_PORT}`;
const AGENT_URL = `http://127.0.0.1:${AGENT_PORT}`;
/** Generous bounds: one activity probe (2 s) plus one election is the expectation, not a timing assertion. */
const WAIT_MS = 20_000;
/** Every poll runs a node process inside a namespace: poll gently on a 2-core box. */
const POLL_MS = 250;
/**
 * The fake GPU: `nvidia-smi --query-gpu=name,pci.bus_id,memory.total,memory.used,utilization.gpu --format=csv,noheader,nounits`,
 * its load read from a file the test writes (a steady load is the same number every probe).
 */
const fakeNvidiaSmi = (loadFile: string): string => `#!/bin/sh\necho "NVIDIA GeForce RTX 4080, 00000000:01:00.0, 16376, 1200, $(cat '${loadFile}' 2>/dev/null || echo 3)"\n`;
const IMMICH_ML_PORT = 3003;
const IMMICH_ML_URL = `http://127.0.0.1:${IMMICH_ML_PORT}`;
/**
 * lab.spawn merges its env over process.env, so a developer's OLLAMA_HOST cannot be deleted, only
 * emptied: the agent ignores empty overrides and keeps the configured URL (agent/config.ts).
 */
const AGENT_ENV = { OLLAMA_HOST: '', IMMICH_MACHINE_LEARNING_URL: '' };

/** One HTTP request from inside the host's namespace (loopback there), answered as parsed JSON. */
const HTTP_SCRIPT = `
const [url, method, body, authorization] = process.argv.slice(1);
const headers = { ...(body ? { 'content-type': 'application/json' } : {}), ...(authorization ? { authorization } : {}) };
fetch(url, { method, headers, ...(body ? { body } : {}) })
  .then(async (r) => {
    const text = await r.text();
    if (!r.ok) throw new Error(r.status + ' ' + text);
    process.stdout.write(text);
  })
  .catch((e) => { console.error(String(e)); process.exit(1); });
`;

/** An Immich face-detection request (image work: batch) to the hub's routed endpoint; prints status and serving node. */
const IMMICH_SCRIPT = `
const form = new FormData();
form.append('entries', JSON.stringify({ 'facial-recognition': { detection: { modelName: 'buffalo_l' }, recognition: { modelName: 'buffalo_l' } } }));
form.append('image', new Blob([new Uint8Array([1, 2, 3])]), 'image.jpg');
fetch(process.argv[1], { method: 'POST', body: form })
  .then(async (r) => { await r.arrayBuffer(); process.stdout.write(JSON.stringify({ status: r.status, node: r.headers.get('x-inference-mesh-node') })); })
  .catch((e) => { console.error(String(e)); process.exit(1); });
`;

async function labHttp<T>(lab: Lab, host: string, url: string, method = 'GET', body?: unknown, authorization?: string): Promise<T> {
  const args = [process.execPath, '-e', HTTP_SCRIPT, url, method, body === undefined ? '' : JSON.stringify(body), ...(authorization ? [authorization] : [])];
  return JSON.parse(await lab.exec(host, args, { timeoutMs: 15_000 })) as T;
}

/** The placement as the hub sees it, read with the real CLI inside the hub's namespace. */
async function hubPlacement(lab: Lab): Promise<Placement> {
  const out = await lab.exec('hub', [process.execPath, BIN, 'placement', '--json', '--url', AGENT_URL], { timeoutMs: 15_000 });
  return JSON.parse(out) as Placement;
}

/** The placement as `host`'s own agent sees it (the API, JSON). */
async function placementOn(lab: Lab, host: string): Promise<Placement> {
  return labHttp<Placement>(lab, host, `${AGENT_URL}/api/v1/placement`);
}

/** `inference-mesh pin|unpin …` inside `host`'s namespace, with that host's admin credential. */
async function cli(lab: Lab, host: string, baseDir: string, args: string[]): Promise<string> {
  return lab.exec(host, [process.execPath, BIN, ...args, '--url', AGENT_URL, '--data-dir', path.join(baseDir, host, 'data')], { timeoutMs: 15_000 });
}

function ollamaElected(p: Placement): string | null {
  const k = p.kinds.ollama;
  return k.candidates.find((c) => c.nodeId === k.elected)?.name ?? null;
}

function candidate(p: Placement, name: string): Placement['kinds']['ollama']['candidates'][number] | undefined {
  return p.kinds.ollama.candidates.find((c) => c.name === name);
}

function describePlacement(p: Placement | undefined): string {
  if (!p) return '(none read)';
  return `elected ${ollamaElected(p) ?? 'nowhere'}; ${p.kinds.ollama.candidates.map((c) => `${c.name}: ${c.eligible ? 'eligible' : 'not eligible'} (${c.reason})`).join('; ')}`;
}

/** Starts the fake Ollama inside the host's namespace on 127.0.0.1:11434 and waits until it listens. */
async function startFakeOllama(lab: Lab, host: string, models: string[]): Promise<ChildProcess> {
  const child = lab.spawn(host, [process.execPath, '--import', 'tsx', 'test/fakes/cli.ts', 'ollama', '--port', String(OLLAMA_PORT), '--models', models.join(',')], { cwd: REPO });
  await collectOutput(child).waitFor(OLLAMA_URL, 20_000);
  return child;
}

describe.skipIf(!available)('placement follows the game (netns, issues 4 and 12)', () => {
  let lab: Lab | undefined;
  let baseDir: string | undefined;
  let fakeGamePath = '';
  let gpuLoadFile = '';
  const agents = new Map<string, LabAgent>();
  /** How the pc's agent is started (again, after a restart). */
  let pcStart: () => Parameters<typeof startLabAgent>[2] = () => {
    throw new Error('not set up');
  };
  /** Read on failure so the report says what the agents did. */
  const logs = (): string => [...agents.values()].map((a) => `----- agent ${a.host} -----\n${a.output()}`).join('\n');

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['hub', 'pc'] });
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-netns-placement-'));

    const binDir = path.join(baseDir, 'bin');
    await mkdir(binDir, { recursive: true });
    gpuLoadFile = path.join(baseDir, 'gpu-load');
    await writeFile(gpuLoadFile, '3\n');
    await writeFile(path.join(binDir, 'nvidia-smi'), fakeNvidiaSmi(gpuLoadFile));
    await chmod(path.join(binDir, 'nvidia-smi'), 0o755);
    // A copy of sleep: its comm and argv[0] basename are 'fakegame', as a game's would be.
    const gameDir = path.join(baseDir, 'game');
    await mkdir(gameDir, { recursive: true });
    fakeGamePath = path.join(gameDir, 'fakegame');
    await copyFile('/bin/sleep', fakeGamePath);
    await chmod(fakeGamePath, 0o755);

    await startFakeOllama(lab, 'hub', ['llama3.2:3b']);
    await startFakeOllama(lab, 'pc', ['llama3.1:8b', 'llama3.2:3b']);
    const ml = lab.spawn('hub', [process.execPath, '--import', 'tsx', 'test/fakes/cli.ts', 'immich-ml', '--port', String(IMMICH_ML_PORT)], { cwd: REPO });
    await collectOutput(ml).waitFor(IMMICH_ML_URL, 20_000);

    const services = { ollama: { enabled: true, url: OLLAMA_URL }, 'immich-ml': { enabled: false } };
    agents.set('hub', await startLabAgent(lab, 'hub', { key: KEY, baseDir, env: AGENT_ENV, config: { services: { ...services, 'immich-ml': { enabled: true, url: IMMICH_ML_URL } } } }));
    const dir = baseDir;
    pcStart = () => ({
      key: KEY,
      baseDir: dir,
      env: { ...AGENT_ENV, PATH: `${binDir}${path.delimiter}${process.env['PATH'] ?? '/usr/bin:/bin'}` },
      config: {
        services,
        offer: { notWhile: { processes: ['fakegame'], gpuUtilizationPct: 60, forSec: 5 }, coolDownSec: 3 },
        probes: { activityIntervalSec: 2, servicesIntervalSec: 2 },
      },
    });
    agents.set('pc', await startLabAgent(lab, 'pc', pcStart()));
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it('a game on the pc moves Ollama to the hub and unloads the pc’s models; when it ends, Ollama returns to the pc', async () => {
    if (!lab) throw new Error('no lab');
    const l = lab;
    let last: Placement | undefined;
    const placementWhere = async (check: (p: Placement) => boolean): Promise<boolean> => {
      last = await hubPlacement(l);
      return check(last);
    };
    const wait = async (check: (p: Placement) => boolean, what: string): Promise<void> => {
      try {
        await waitUntil(() => placementWhere(check), WAIT_MS, what, POLL_MS);
      } catch (err) {
        throw new Error(`${(err as Error).message}\nlast placement on hub: ${describePlacement(last)}\n${logs()}`, { cause: err });
      }
    };

    // 1. The pc (GPU) serves Ollama; the hub (CPU only) is the fallback.
    await wait((p) => ollamaElected(p) === 'pc' && candidate(p, 'hub')?.eligible === true, 'hub to elect pc for ollama');
    expect(candidate(last as Placement, 'pc')?.priority).toBeGreaterThan(candidate(last as Placement, 'hub')?.priority ?? Infinity);

    // 2. Someone uses the pc's Ollama: a model is loaded there.
    await labHttp(l, 'pc', `${OLLAMA_URL}/api/generate`, 'POST', { model: 'llama3.1:8b', prompt: '', stream: false });
    const loaded = await labHttp<{ models: { name: string }[] }>(l, 'pc', `${OLLAMA_URL}/api/ps`);
    expect(loaded.models.map((m) => m.name)).toEqual(['llama3.1:8b']);

    // 3. A game starts on the pc.
    const game = l.spawn('pc', [fakeGamePath, '600'], { stdio: 'ignore' });
    const gameExited = new Promise<void>((resolve) => game.once('exit', () => resolve()));

    // 4. Within one activity probe plus one election: Ollama moves to the hub, and why.
    await wait((p) => ollamaElected(p) === 'hub' && candidate(p, 'pc')?.reason === 'game running: fakegame', 'hub to elect itself because of the game');
    expect(candidate(last as Placement, 'pc')?.eligible).toBe(false);

    // 5. The pc freed its VRAM: no model loaded in its Ollama, and its history says so.
    await waitUntil(async () => (await labHttp<{ models: unknown[] }>(l, 'pc', `${OLLAMA_URL}/api/ps`)).models.length === 0, WAIT_MS, 'pc’s Ollama to have no loaded model', POLL_MS).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${logs()}`, { cause: err });
    });
    let unload: HistoryEntry | undefined;
    await waitUntil(
      async () => {
        const { entries } = await labHttp<{ entries: HistoryEntry[] }>(l, 'pc', `${AGENT_URL}/api/v1/history`);
        unload = entries.find((e) => e.type === 'action' && e.action === 'unload' && e.status === 'ok');
        return unload !== undefined;
      },
      WAIT_MS,
      'an unload action with status ok in pc’s history',
      POLL_MS,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${logs()}`, { cause: err });
    });
    expect(unload?.kind).toBe('ollama');
    expect(unload?.nodeName).toBe('pc');
    expect(unload?.message).toContain('llama3.1:8b');
    expect(unload?.message).toContain('game running: fakegame');

    // 6. The game ends: after its 3 s cool-down, Ollama goes back to the pc.
    game.kill('SIGKILL');
    await gameExited;
    await wait((p) => ollamaElected(p) === 'pc' && candidate(p, 'pc')?.eligible === true, 'placement to return to pc after the game');
  }, 60_000);

  /** Polls the placement on `host` until `check` holds; the failure says what was last seen, and the logs. */
  const waitOn = async (host: string, check: (p: Placement) => boolean, what: string): Promise<Placement> => {
    if (!lab) throw new Error('no lab');
    const l = lab;
    let last: Placement | undefined;
    try {
      await waitUntil(async () => check((last = await placementOn(l, host))), WAIT_MS, what, POLL_MS);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nlast placement on ${host}: ${describePlacement(last)}\n${logs()}`, { cause: err });
    }
    return last as Placement;
  };

  it('a steady 95 % GPU load (rule: 60 % for 5 s) takes the pc out on time on both agents; it returns after its cool-down', async () => {
    await writeFile(gpuLoadFile, '95\n');
    const out = (p: Placement): boolean => ollamaElected(p) === 'hub' && candidate(p, 'pc')?.why.code === 'gpu-busy';
    const onHub = await waitOn('hub', out, 'hub to take the pc out for its GPU load');
    expect(candidate(onHub, 'pc')?.reason).toBe('GPU busy: 95 % for over 5 s');
    await waitOn('pc', out, 'the pc to take itself out for its GPU load');

    await writeFile(gpuLoadFile, '3\n');
    await waitOn('hub', (p) => ollamaElected(p) === 'pc' && candidate(p, 'pc')?.eligible === true, 'the pc to return after its cool-down');
    const backAtMs = Date.now();
    // The pc advertised a cool-down after the GPU load, and the hub took it back only once it had passed.
    const { offerState } = await labHttp<NodeAdvert>(lab as Lab, 'pc', `${AGENT_URL}/api/v1/node`);
    expect(offerState?.lastBusy?.code).toBe('gpu-busy');
    expect(offerState?.coolDownUntilMs).not.toBeNull();
    expect(backAtMs).toBeGreaterThanOrEqual(offerState?.coolDownUntilMs ?? Infinity);
  }, 60_000);

  it('a pin set on the pc to the hub is followed by both agents; cleared, both return to the pc', async () => {
    if (!lab || !baseDir) throw new Error('no lab');
    await cli(lab, 'pc', baseDir, ['pin', 'ollama', 'hub']);
    for (const host of ['hub', 'pc']) await waitOn(host, (p) => ollamaElected(p) === 'hub' && p.kinds.ollama.why.code === 'pinned', `${host} to follow the pin to the hub`);
    await cli(lab, 'hub', baseDir, ['unpin', 'ollama']);
    for (const host of ['hub', 'pc']) await waitOn(host, (p) => ollamaElected(p) === 'pc' && p.kinds.ollama.why.code !== 'pinned', `${host} to drop the pin cleared on the hub`);
  }, 60_000);

  it('a pin to the pc loses to a game started there, and says both; when the game ends the pin applies again', async () => {
    if (!lab || !baseDir) throw new Error('no lab');
    const l = lab;
    await cli(l, 'hub', baseDir, ['pin', 'ollama', 'pc']);
    await waitOn('hub', (p) => ollamaElected(p) === 'pc' && p.kinds.ollama.why.code === 'pinned', 'the pin to the pc to apply');
    const game = l.spawn('pc', [fakeGamePath, '600'], { stdio: 'ignore' });
    const gameExited = new Promise<void>((resolve) => game.once('exit', () => resolve()));
    try {
      const p = await waitOn('hub', (x) => ollamaElected(x) === 'hub' && x.kinds.ollama.why.code === 'pin-waiting', 'the game to beat the pin');
      expect(p.kinds.ollama.reason).toBe('pin to pc waiting: game running: fakegame');
      expect(candidate(p, 'pc')?.reason).toMatch(/pin.*game/);
      const status = await l.exec('hub', [process.execPath, BIN, 'placement', '--url', AGENT_URL], { timeoutMs: 15_000 });
      expect(status).toContain('pin to pc waiting: game running: fakegame');
    } finally {
      game.kill('SIGKILL');
      await gameExited;
    }
    await waitOn('hub', (p) => ollamaElected(p) === 'pc' && p.kinds.ollama.why.code === 'pinned', 'the pin to apply again after the game and its cool-down');
    await cli(l, 'hub', baseDir, ['unpin', 'ollama']);
  }, 60_000);

  it("issue 16: the pc's window set from the hub changes the pc's own offer and placement, and survives the pc's restart", async () => {
    if (!lab || !baseDir) throw new Error('no lab');
    const pcId = (await labHttp<NodeAdvert>(lab, 'pc', `${AGENT_URL}/api/v1/node`)).nodeId;
    const token = (await readFile(path.join(baseDir, 'hub', 'data', 'admin.token'), 'utf8')).trim();
    // A window that is not now (UTC): the pc is out until it opens.
    const hour = new Date().getUTCHours();
    const at = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`;
    const offer = { timeZone: 'UTC', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: at(hour + 2), to: at(hour + 3) }] };
    const saved = await labHttp<{ offer: typeof offer }>(lab, 'hub', `${AGENT_URL}/api/v1/nodes/${pcId}/settings`, 'PUT', { offer }, `Bearer ${token}`);
    expect(saved.offer.windows).toEqual(offer.windows);
    expect((await labHttp<{ offer: typeof offer }>(lab, 'pc', `${AGENT_URL}/api/v1/settings`)).offer.windows).toEqual(offer.windows);
    for (const host of ['hub', 'pc']) await waitOn(host, (p) => candidate(p, 'pc')?.why.code === 'outside-window', `${host} to see the pc outside its new window`);

    // The pc restarts: its own state keeps the change, and the placement still follows it.
    const pc = agents.get('pc');
    pc?.child.kill('SIGTERM');
    await pc?.exited;
    agents.set('pc', await startLabAgent(lab, 'pc', pcStart()));
    expect((await labHttp<{ offer: typeof offer }>(lab, 'pc', `${AGENT_URL}/api/v1/settings`)).offer.windows).toEqual(offer.windows);
    await waitOn('hub', (p) => candidate(p, 'pc')?.why.code === 'outside-window' && candidate(p, 'pc')?.gpu === true, 'the hub to see the restarted pc (and its GPU), still outside its window');
  }, 60_000);

  it('the hub (no GPU, no Immich API key) answers Immich image work itself with 200, and says why; also once it is alone', async () => {
    if (!lab) throw new Error('no lab');
    const p = await waitOn('hub', (x) => x.kinds['immich-ml'].batchElected !== null, 'a batch node for Immich ML');
    expect(p.kinds['immich-ml'].batchReason).toBe('no GPU node offered, and no Immich API key to pause the queues');
    const predict = async (): Promise<{ status: number; node: string | null }> =>
      JSON.parse(await (lab as Lab).exec('hub', [process.execPath, '-e', IMMICH_SCRIPT, `${AGENT_URL}/immich-ml/predict`], { timeoutMs: 15_000 })) as { status: number; node: string | null };
    expect(await predict()).toEqual({ status: 200, node: 'hub' });

    // The hub alone: the pc's agent stops (last test, so nothing after needs it); image work still gets 200.
    const pc = agents.get('pc');
    pc?.child.kill('SIGTERM');
    await pc?.exited;
    await waitOn('hub', (x) => x.kinds.ollama.candidates.find((c) => c.name === 'pc')?.why.code === 'down', 'the hub to see the pc down');
    expect(await predict()).toEqual({ status: 200, node: 'hub' });
  }, 40_000);
});
