/**
 * Issue 10's acceptance test, across hosts: network namespaces on one bridge, real mDNS, real agents
 * started with the real command, and on every host Ollama and Immich ML (the fakes of test/fakes,
 * run by fixtures/lab-services.ts) bound to 127.0.0.1 only, so nothing but the host's own agent can
 * reach them:
 *
 *   hub:  CPU only; Ollama with llama3.2:3b, Immich ML
 *   pc:   node name gaming-pc, a (fake) NVIDIA GPU so it is elected; Ollama with llama3.2:3b and llama3.1:8b, Immich ML
 *   lan:  a client on the LAN (the official ollama and openai clients, Immich's multipart request)
 *   evil: a host without the mesh key that copies gaming-pc's mDNS advert and relays TCP to its agent
 *
 * One lab and one set of agents serve every case of the file (CI has 2 cores); the cases run in
 * order and the last ones restart the hub. Needs root (CI runs as root); skipped elsewhere.
 * Namespaces and processes are removed in afterAll, also when a case fails.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_RECIPIENT, AUTH_HEADERS, signRequest } from '../../discovery/peer-auth.js';
import type { NodeRecord } from '../../discovery/types.js';
import type { Placement } from '../../scheduler/placement-view.js';
import { AGENT_PORT, startLabAgent, waitUntil, type LabAgent } from './agents.js';
import { collectOutput, createNetnsLab, netnsAvailable, type Lab, type OutputCollector } from './netns.js';

const available = await netnsAvailable();
const KEY = 'netns-relay-mesh-key-0123456789ab';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const PC_NAME = 'gaming-pc';
/** A port nothing in the lab serves but the canaries. */
const CANARY_PORT = 29999;
/** Generous bounds for discovery and elections on a loaded 2-core box: expectations, not timing assertions. */
const WAIT_MS = 30_000;
const POLL_MS = 250;
const FAKE_NVIDIA_SMI = '#!/bin/sh\necho "NVIDIA GeForce RTX 4080, 00000000:01:00.0, 16376, 1200, 3"\n';
/** lab.spawn merges its env over process.env: a developer's OLLAMA_HOST can only be emptied (agent/config.ts ignores empty overrides). */
const AGENT_ENV = { OLLAMA_HOST: '', IMMICH_MACHINE_LEARNING_URL: '' };
const SERVICES = { ollama: { enabled: true, url: 'http://127.0.0.1:11434' }, 'immich-ml': { enabled: true, url: 'http://127.0.0.1:3003' } };

/** One GET from inside a namespace with plain node (no tsx: polls stay cheap), answered as parsed JSON. */
const GET_SCRIPT = `
fetch(process.argv[1]).then(async (r) => {
  const text = await r.text();
  if (!r.ok) throw new Error(r.status + ' ' + text);
  process.stdout.write(text);
}).catch((e) => { console.error(String(e) + ' ' + (e.cause?.code ?? '')); process.exit(1); });`;

/** Counts connections on 127.0.0.1 and on the host's own address; prints one line per connection. */
const CANARY_SCRIPT = `
const net = require('node:net');
const [addr, port] = process.argv.slice(1);
let up = 0;
for (const host of ['127.0.0.1', addr]) {
  net.createServer((s) => { console.log('connection to ' + host); s.destroy(); })
    .listen(Number(port), host, () => { if (++up === 2) console.log('listening'); });
}`;

interface Call {
  call: 'ollama' | 'immich-ml';
  method: string;
  path: string;
  host: string | null;
  status: number | null;
}

interface RelayEvent {
  event: 'published' | 'connection' | 'request' | 'mdns-error';
  from?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  txt?: Record<string, string>;
}

const parseLines = <T>(lines: readonly string[]): T[] => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as T);

describe.skipIf(!available)('the peer relay across hosts (netns, issue 10)', () => {
  let lab: Lab | undefined;
  let baseDir = '';
  let pcEnv: NodeJS.ProcessEnv = {};
  const agents = new Map<string, LabAgent>();
  const services = new Map<string, OutputCollector>();
  const canaries = new Map<string, OutputCollector>();
  let impostor: { child: ChildProcess; out: OutputCollector } | undefined;
  const logs = (): string => [...agents.values()].map((a) => `----- agent ${a.host} -----\n${a.output().slice(-6000)}`).join('\n');

  const theLab = (): Lab => {
    if (!lab) throw new Error('no lab');
    return lab;
  };
  const url = (host: string): string => `http://${theLab().host(host).address}:${AGENT_PORT}`;
  const calls = (host: string): Call[] => parseLines<Call>(services.get(host)?.stdout ?? []).filter((c) => 'call' in c);
  const relayEvents = (): RelayEvent[] => parseLines<RelayEvent>(impostor?.out.stdout ?? []);

  const getJson = async <T>(from: string, target: string): Promise<T> => JSON.parse(await theLab().exec(from, [process.execPath, '-e', GET_SCRIPT, target], { timeoutMs: 15_000 })) as T;
  /** fixtures/lab-client.ts on a host: the real clients, one JSON answer. */
  const client = async <T>(from: string, args: string[]): Promise<T> =>
    JSON.parse(await theLab().exec(from, [process.execPath, '--import', 'tsx', path.join(FIXTURES, 'lab-client.ts'), ...args], { timeoutMs: 30_000, cwd: REPO })) as T;
  const hubNodes = async (): Promise<NodeRecord[]> => (await getJson<{ nodes: NodeRecord[] }>('hub', `http://127.0.0.1:${AGENT_PORT}/api/v1/nodes`)).nodes;
  const pcRecord = async (): Promise<NodeRecord | undefined> => (await hubNodes()).find((n) => n.name === PC_NAME);
  const electedName = (p: Placement, kind: 'ollama' | 'immich-ml'): string | null => p.kinds[kind].candidates.find((c) => c.nodeId === p.kinds[kind].elected)?.name ?? null;

  const wait = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    try {
      await waitUntil(check, WAIT_MS, what, POLL_MS);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${logs()}`, { cause: err });
    }
  };

  /** The hub knows gaming-pc over a proven path and elects it for both kinds. */
  const hubReady = async (): Promise<void> => {
    await wait(async () => {
      const pc = await pcRecord();
      if (pc?.state !== 'up' || !pc.paths.some((p) => p.ok === true && p.proven === true)) return false;
      const p = await getJson<Placement>('hub', `http://127.0.0.1:${AGENT_PORT}/api/v1/placement`);
      return electedName(p, 'ollama') === PC_NAME && electedName(p, 'immich-ml') === PC_NAME;
    }, `the hub to elect ${PC_NAME} for Ollama and Immich ML over a proven path`);
  };

  const startHub = async (): Promise<void> => {
    agents.set('hub', await startLabAgent(theLab(), 'hub', { key: KEY, baseDir, env: AGENT_ENV, config: { services: SERVICES, probes: { servicesIntervalSec: 2 } } }));
  };

  const startServices = async (host: string, models: string[]): Promise<void> => {
    const child = theLab().spawn(host, [process.execPath, '--import', 'tsx', path.join(FIXTURES, 'lab-services.ts'), '--models', models.join(',')], { cwd: REPO });
    const out = collectOutput(child);
    await out.waitFor('"ready":true', 30_000);
    services.set(host, out);
  };

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['hub', 'pc', 'lan', 'evil'] });
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-netns-relay-'));
    const binDir = path.join(baseDir, 'bin');
    await mkdir(binDir, { recursive: true });
    await writeFile(path.join(binDir, 'nvidia-smi'), FAKE_NVIDIA_SMI);
    await chmod(path.join(binDir, 'nvidia-smi'), 0o755);
    pcEnv = { ...AGENT_ENV, PATH: `${binDir}${path.delimiter}${process.env['PATH'] ?? '/usr/bin:/bin'}` };

    await Promise.all([startServices('hub', ['llama3.2:3b']), startServices('pc', ['llama3.2:3b', 'llama3.1:8b'])]);
    for (const host of ['hub', 'pc']) {
      const canary = collectOutput(lab.spawn(host, [process.execPath, '-e', CANARY_SCRIPT, lab.host(host).address, String(CANARY_PORT)]));
      await canary.waitFor('listening');
      canaries.set(host, canary);
    }

    agents.set('pc', await startLabAgent(lab, 'pc', { key: KEY, baseDir, env: pcEnv, config: { node: { name: PC_NAME }, services: SERVICES, probes: { servicesIntervalSec: 2 } } }));
    await startHub();
    await hubReady();
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  }, 60_000);

  it('the official ollama client streams a chat from the LAN through the hub, served by the PC’s loopback Ollama', async () => {
    const before = calls('pc').length;
    const res = await client<{ text: string; parts: number; done: boolean; nodes: (string | null)[] }>('lan', ['ollama-chat', url('hub')]);
    expect(res.done).toBe(true);
    expect(res.parts).toBeGreaterThan(1); // streamed, not one buffered answer
    expect(res.text).toBe('The sky is blue because of Rayleigh scattering.');
    expect(res.nodes).toEqual([PC_NAME]);
    await services.get('pc')?.waitFor((l) => l.includes('"path":"/api/chat"'), 5_000);
    const chat = calls('pc').slice(before).find((c) => c.path === '/api/chat');
    // Reached on loopback through the PC's own agent: Ollama's Host check passes (PROTOCOLS.md §1.1).
    expect(chat).toMatchObject({ method: 'POST', host: 'localhost:11434', status: 200 });
    expect(calls('hub').some((c) => c.path === '/api/chat')).toBe(false);
    // The PC's Ollama is not on the LAN at all: only its agent could have reached it.
    await expect(getJson('lan', `http://${theLab().host('pc').address}:11434/api/version`)).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);

  it('the openai client streams a chat through the hub’s /ollama/v1, served by the PC', async () => {
    const res = await client<{ text: string; chunks: number; finish: string | null; nodes: (string | null)[] }>('lan', ['openai-chat', url('hub')]);
    expect(res.text).toBe('The sky is blue because of Rayleigh scattering.');
    expect(res.chunks).toBeGreaterThan(1);
    expect(res.finish).toBe('stop');
    expect(res.nodes).toEqual([PC_NAME]);
    await services.get('pc')?.waitFor((l) => l.includes('"path":"/v1/chat/completions"'), 5_000);
    expect(calls('hub').some((c) => c.path === '/v1/chat/completions')).toBe(false);
  }, 60_000);

  it('Immich ML multipart image work reaches the PC’s loopback-only Immich ML through the hub', async () => {
    const res = await client<{ status: number; node: string | null; body: Record<string, unknown> }>('lan', ['immich-predict', url('hub')]);
    expect(res.status).toBe(200);
    expect(res.node).toBe(PC_NAME);
    // The fake decoded the image the hub relayed: its size and a 512-dimension CLIP embedding.
    expect(res.body).toEqual({ clip: 512, imageWidth: 640, imageHeight: 480 });
    await services.get('pc')?.waitFor((l) => l.includes('"call":"immich-ml"') && l.includes('"path":"/predict"'), 5_000);
    expect(calls('hub').some((c) => c.call === 'immich-ml' && c.path === '/predict')).toBe(false);
  }, 60_000);

  it('from a LAN client, paths that name another host get 400 and the hub connects nowhere', async () => {
    const l = theLab();
    const before = { hub: calls('hub').length, pc: calls('pc').length };
    // Canaries listen on this port on the hub's and the PC's loopback and lab addresses.
    const targets = [`127.0.0.1:${CANARY_PORT}`, `${l.host('hub').address}:${CANARY_PORT}`, `${l.host('pc').address}:${CANARY_PORT}`];
    const paths = targets.flatMap((t) => [
      `/ollama//${t}/api/tags`,
      `/ollama/http://${t}/api/tags`,
      `/ollama/%2F%2F${t}/api/tags`,
      `/ollama/%2f%2f${t}/api/tags`,
      `/ollama/\\\\${t}/api/tags`,
      `/ollama/\\${t}/api/tags`,
      `/immich-ml//${t}/predict`,
      `/immich-ml/http:%2F%2F${t}/predict`,
      `/immich-ml/\\\\${t}/predict`,
    ]);
    const answers = await client<{ path: string; status: number; body: string }[]>('lan', ['raw', url('hub'), ...paths]);
    expect(answers.map((a) => [a.path, a.status])).toEqual(paths.map((p) => [p, 400]));
    for (const a of answers) expect(a.body).toMatch(/invalid path/);
    // Bounded grace for a connection that would be in flight (none should be).
    await expect(canaries.get('hub')?.waitFor('connection', 1_000)).rejects.toThrow(/no line matching/);
    for (const host of ['hub', 'pc']) expect(canaries.get(host)?.stdout.filter((s) => s.startsWith('connection'))).toEqual([]);
    // The agents' own probes (GET) go on meanwhile; the refused requests were all POSTs.
    expect(calls('hub').slice(before.hub).filter((c) => c.method === 'POST')).toEqual([]);
    expect(calls('pc').slice(before.pc).filter((c) => c.method === 'POST')).toEqual([]);
  }, 60_000);

  describe('a host without the key relays gaming-pc’s advert', () => {
    const evilAddr = (): string => theLab().host('evil').address;
    const mentionsEvil = (n: NodeRecord | undefined): boolean => n === undefined || JSON.stringify({ addresses: n.addresses, paths: n.paths, activeUrl: n.activeUrl }).includes(evilAddr());
    const advertFetchesOnRelay = (): RelayEvent[] => relayEvents().filter((e) => e.event === 'request' && e.path === '/api/v1/peer/advert');
    const routedOnRelay = (): RelayEvent[] => relayEvents().filter((e) => e.event === 'request' && e.path?.startsWith('/api/v1/peer/relay'));

    /** The relay carried the hub's signed advert fetch to the PC and back, and the hub did not take it. */
    const relayTriedAndRefused = async (after: number): Promise<void> => {
      await wait(async () => Promise.resolve(advertFetchesOnRelay().length > after), 'the hub to try the relay’s address');
      // The fetch was signed for gaming-pc at the relay's address, so the PC refused it (421) and the hub logged it.
      await wait(async () => Promise.resolve(agents.get('hub')?.output().includes('not the claimed agent') ?? false), 'the hub to refuse the relay’s address');
      const pc = await pcRecord();
      expect(pc?.state).toBe('up');
      expect(mentionsEvil(pc)).toBe(false);
      for (const n of await hubNodes()) expect(JSON.stringify(n.paths)).not.toContain(evilAddr());
    };

    const chatServedByPc = async (): Promise<void> => {
      const res = await client<{ done: boolean; nodes: (string | null)[] }>('lan', ['ollama-chat', url('hub')]);
      expect(res).toMatchObject({ done: true, nodes: [PC_NAME] });
    };

    it('is never recorded as gaming-pc’s address and never gets routed traffic', async () => {
      const l = theLab();
      const pcId = (await pcRecord())?.nodeId ?? '';
      const child = l.spawn('evil', [
        process.execPath,
        '--import',
        'tsx',
        path.join(FIXTURES, 'mdns-impostor.ts'),
        '--address',
        evilAddr(),
        '--port',
        String(AGENT_PORT),
        '--victim',
        pcId,
        '--target',
        `${l.host('pc').address}:${AGENT_PORT}`,
      ], { cwd: REPO });
      impostor = { child, out: collectOutput(child) };
      const published = JSON.parse(await impostor.out.waitFor('"published"', WAIT_MS)) as RelayEvent;
      expect(published.txt?.['id']).toBe(pcId);

      await relayTriedAndRefused(0);
      const captured = advertFetchesOnRelay()[0]?.headers ?? {};
      expect(captured[AUTH_HEADERS.to]).toBe(pcId);
      expect(captured[AUTH_HEADERS.dialled]).toBe(`${evilAddr()}:${AGENT_PORT}`);

      await chatServedByPc();
      await chatServedByPc();
      expect(routedOnRelay()).toEqual([]);
    }, 60_000);

    it('not after the hub restarts either (state.json keeps only proven addresses)', async () => {
      const hub = agents.get('hub');
      if (!hub) throw new Error('no hub agent');
      const triedBefore = advertFetchesOnRelay().length;
      hub.child.kill('SIGTERM');
      await hub.exited;
      expect(hub.child.exitCode).toBe(0);
      const state = await readFile(path.join(baseDir, 'hub', 'data', 'state.json'), 'utf8');
      expect(state).toContain(theLab().host('pc').address);
      expect(state).not.toContain(evilAddr());

      await startHub();
      await hubReady();
      await relayTriedAndRefused(triedBefore);
      await chatServedByPc();
      expect(routedOnRelay()).toEqual([]);
    }, 90_000);

    it('a signed request captured by one member and replayed to another is refused', async () => {
      const l = theLab();
      const nodes = await hubNodes();
      const hubId = nodes.find((n) => n.name === 'hub')?.nodeId ?? '';
      const pcId = nodes.find((n) => n.name === PC_NAME)?.nodeId ?? '';
      const pcAddr = `${l.host('pc').address}:${AGENT_PORT}`;
      const relayPath = '/api/v1/peer/relay/ollama/api/tags';
      // What the relay captured: the hub's advert fetch meant for gaming-pc, signed for the relay's address.
      const captured = advertFetchesOnRelay().at(-1)?.headers ?? {};
      const auth = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.values(AUTH_HEADERS).filter((k) => k in h).map((k) => [k, h[k] ?? '']));
      // A relay request as the hub signs it for gaming-pc at its own address (the key is in the test).
      const toPc = signRequest({ key: KEY, nodeId: hubId, to: pcId, dialled: pcAddr, method: 'GET', path: relayPath, nowMs: Date.now() });
      // A first contact (any recipient) signed for gaming-pc's address.
      const firstContact = signRequest({ key: KEY, nodeId: hubId, to: ANY_RECIPIENT, dialled: pcAddr, method: 'GET', path: '/api/v1/peer/ping', nowMs: Date.now() });

      const answers = await client<{ path: string; status: number; body: string }[]>('evil', [
        'send',
        JSON.stringify([
          { url: url('hub'), path: '/api/v1/peer/advert', headers: auth(captured) }, // captured, replayed to the other member
          { url: url('pc'), path: '/api/v1/peer/advert', headers: auth(captured) }, // captured, replayed to the member meant, at its own address
          { url: url('pc'), path: relayPath, headers: toPc }, // genuine: accepted once
          { url: url('hub'), path: relayPath, headers: toPc }, // replayed to the other member
          { url: url('pc'), path: relayPath, headers: toPc }, // replayed to the member meant
          { url: url('hub'), path: '/api/v1/peer/ping', headers: firstContact }, // a first contact replayed to the other member
        ]),
      ]);
      expect(answers.map((a) => a.status)).toEqual([421, 421, 200, 421, 401, 421]);
      expect(answers[4]?.body).toMatch(/replayed/);
      expect(routedOnRelay()).toEqual([]);
    }, 60_000);
  });
});
