/**
 * Issue 10 over real sockets: requests for a peer go through that peer's agent, and the routed
 * endpoints never connect anywhere but a mesh target. Two agents on loopback (static peers), each
 * with a fake Ollama that follows PROTOCOLS.md (the real one cannot be installed here).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_HEADERS, signRequest } from '../../discovery/peer-auth.js';
import { formatPlacementSummary } from '../../agent/cli/format-summary.js';
import { placementAnswerSchema } from '../../scheduler/routing-status.js';
import { createFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

const KEY = 'relay-test-mesh-key-0123456789abc';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function twoNodes(o: { hubOllamaTimeoutMs?: number; pcDirect?: boolean } = {}): Promise<{ hub: TestAgent; pc: TestAgent; pcOllama: FakeOllama; hubOllama: FakeOllama }> {
  const pcOllama = createFakeOllama({ models: [{ name: 'llama3.1:8b' }, { name: 'llama3.2:3b' }] });
  const hubOllama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }] });
  for (const f of [pcOllama, hubOllama]) {
    await f.start();
    cleanups.push(() => f.stop());
  }
  const common = { mesh: { key: KEY }, probes: { servicesIntervalSec: 1 }, services: { 'immich-ml': { enabled: false } } };
  const pc = await startTestAgent({
    config: { ...common, node: { name: 'gaming-pc' }, services: { ...common.services, ollama: { url: pcOllama.url, direct: o.pcDirect ?? false } }, discovery: { mdns: { enabled: false }, healthIntervalMs: 200 } },
  });
  cleanups.push(() => pc.stop());
  const hub = await startTestAgent({
    config: {
      ...common,
      node: { name: 'hub' },
      services: { ...common.services, ollama: { url: hubOllama.url, ...(o.hubOllamaTimeoutMs ? { firstByteTimeoutMs: o.hubOllamaTimeoutMs } : {}) } },
      discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] },
    },
  });
  cleanups.push(() => hub.stop());
  await eventually(async () => {
    const nodes = (await (await fetch(`${hub.url}/api/v1/nodes`)).json()) as { nodes: { name: string; state: string; advert: { services: { ollama: { state: string } | null } } | null }[] };
    return nodes.nodes.some((n) => n.name === 'gaming-pc' && n.state === 'up' && n.advert?.services.ollama?.state === 'up') ? true : undefined;
  });
  return { hub, pc, pcOllama, hubOllama };
}

/** A listener that counts the connections it gets: nothing routed may ever reach it. */
async function canary(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A raw request, so the path reaches the agent exactly as written (fetch would normalise it). */
function raw(url: string, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the peer relay (issue 10)', () => {
  it("a request for the gaming PC goes through the PC's agent to its loopback Ollama, named by the PC", async () => {
    const { hub, pc, pcOllama } = await twoNodes();
    const res = await fetch(`${hub.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', prompt: 'hi', stream: false }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-inference-mesh-node')).toBe('gaming-pc');
    // The relay's own signature headers stop at the hub.
    expect(res.headers.get(AUTH_HEADERS.signature)).toBeNull();
    const call = pcOllama.calls.find((c) => c.path === '/api/generate');
    // Ollama bound to loopback only accepts a local Host header (PROTOCOLS.md §1.1).
    expect(call?.headers.host).toBe(`localhost:${pcOllama.port}`);
    // The PC's agent served it: its own statistics count it.
    const stats = (await (await fetch(`${pc.url}/api/v1/stats`)).json()) as { kinds: { ollama: { nodes: Record<string, { requests: number }> } } };
    expect(stats.kinds.ollama.nodes['gaming-pc']?.requests).toBe(1);
  });

  it.each([
    ['authority form', (p: number) => `/ollama//127.0.0.1:${p}/x`],
    ['an absolute URL', (p: number) => `/ollama/http://127.0.0.1:${p}/x`],
    ['encoded slashes', (p: number) => `/ollama/%2F%2F127.0.0.1:${p}/x`],
    ['a backslash', (p: number) => `/ollama/\\\\127.0.0.1:${p}/x`],
    ['dot segments', () => `/ollama/api/../../x`],
    ['encoded dot segments', () => `/ollama/%2e%2e/%2E%2E/x`],
    ['Immich ML, authority form', (p: number) => `/immich-ml//127.0.0.1:${p}/predict`],
  ])('the hub refuses %s with 400 and connects nowhere', async (_what, path) => {
    const { hub, pcOllama, hubOllama } = await twoNodes();
    const target = await canary();
    pcOllama.clearCalls();
    hubOllama.clearCalls();
    const res = await raw(hub.url, path(target.port), 'POST');
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/invalid path/);
    expect(target.connections()).toBe(0);
    // The agents' own probes GET the fakes every second; nothing routed may have reached them.
    expect([...pcOllama.calls, ...hubOllama.calls].filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('the relay route refuses unsigned, replayed, misaddressed and misdialled requests', async () => {
    const { hub, pc, pcOllama } = await twoNodes();
    pcOllama.clearCalls();
    const path = '/api/v1/peer/relay/ollama/api/tags';
    const port = Number(new URL(pc.url).port);
    const send = (headers: Record<string, string>) => fetch(`${pc.url}${path}`, { headers });
    const sign = (o: { to?: string; dialled?: string } = {}) =>
      signRequest({ key: KEY, nodeId: hub.agent.nodeId(), to: o.to ?? pc.agent.nodeId(), dialled: o.dialled ?? `127.0.0.1:${port}`, method: 'GET', path, nowMs: Date.now() });

    expect((await send({})).status).toBe(401);
    const good = sign();
    expect((await send(good)).status).toBe(200);
    expect((await send(good)).status).toBe(401); // replayed
    expect((await send(sign({ to: hub.agent.nodeId() }))).status).toBe(421); // meant for another member
    expect((await send(sign({ dialled: `127.0.0.2:${port}` }))).status).toBe(421); // carried from another address
    expect((await send(signRequest({ key: 'another-mesh-key-0123456789abcdef', nodeId: hub.agent.nodeId(), to: pc.agent.nodeId(), dialled: `127.0.0.1:${port}`, method: 'GET', path, nowMs: Date.now() }))).status).toBe(401);
    // Relayed calls carry the loopback Host header; the PC's own probe (ollama-js) sends its URL's host.
    expect(pcOllama.calls.filter((c) => c.path === '/api/tags' && c.headers.host === `localhost:${pcOllama.port}`)).toHaveLength(1);
  });

  it('the relay only reaches the peer\'s own service: a relayed path cannot name another host either', async () => {
    const { pc } = await twoNodes();
    const target = await canary();
    const res = await raw(pc.url, `/api/v1/peer/relay/ollama//127.0.0.1:${target.port}/x`);
    expect(res.status).toBe(400);
    expect(target.connections()).toBe(0);
    expect((await raw(pc.url, '/api/v1/peer/relay/nope/x')).status).toBe(404);
  });

  it('an elected node that fails routed requests is shown as unreachable, with where requests go instead (§4)', async () => {
    const { hub, pc, pcOllama } = await twoNodes({ hubOllamaTimeoutMs: 1000 });
    await eventually(async () => {
      const p = placementAnswerSchema.parse(await (await fetch(`${hub.url}/api/v1/placement`)).json());
      return p.kinds.ollama.elected === pc.agent.nodeId() ? true : undefined;
    });
    // The PC's Ollama still answers its probes, but no longer inference: only routing can tell.
    pcOllama.setHang('inference');
    const res = await fetch(`${hub.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'hi', stream: false }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-inference-mesh-node')).toBe('hub');

    const answer = placementAnswerSchema.parse(await (await fetch(`${hub.url}/api/v1/placement`)).json());
    expect(answer.kinds.ollama.elected).toBe(pc.agent.nodeId());
    expect(answer.routing?.ollama.serving?.name).toBe('hub');
    expect(answer.routing?.ollama.unreachable.map((u) => u.name)).toEqual(['gaming-pc']);
    expect(answer.routing?.ollama.unreachable[0]?.reason).toMatch(/^no answer within 1000 ms/);
    const nodes = ((await (await fetch(`${hub.url}/api/v1/nodes`)).json()) as { nodes: [] }).nodes;
    expect(formatPlacementSummary(answer, nodes)[0]).toMatch(/^Ollama +→ elected gaming-pc, unreachable: no answer within 1000 ms.*; serving from hub$/);
    expect(await (await fetch(`${hub.url}/metrics`)).text()).toContain('inference_mesh_unreachable_total{kind="ollama",node="gaming-pc"} 1');
    const page = await (await fetch(`${hub.url}/`)).text();
    expect(page).toContain('elected gaming-pc, unreachable');
  });

  it("direct mode (§6): an owner who exposed the PC's Ollama on purpose gets one hop less; the PC's agent is not in the path", async () => {
    const { hub, pc, pcOllama } = await twoNodes({ pcDirect: true });
    const advert = ((await (await fetch(`${pc.url}/api/v1/node`)).json()) as { services: { ollama: { direct?: boolean } } }).services.ollama;
    expect(advert.direct).toBe(true);
    const res = await fetch(`${hub.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', prompt: 'hi', stream: false }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-inference-mesh-node')).toBe('gaming-pc');
    expect(pcOllama.calls.some((c) => c.path === '/api/generate')).toBe(true);
    const stats = (await (await fetch(`${pc.url}/api/v1/stats`)).json()) as { kinds: { ollama: { nodes: Record<string, unknown> } } };
    expect(stats.kinds.ollama.nodes).toEqual({}); // never relayed
  });
});
