/**
 * Static peers and plain service endpoints through the API: validated, loopback-only, persisted,
 * and turned into nodes (an agent URL after it proves membership; an Ollama URL probed like a
 * local service, here the fake Ollama that follows PROTOCOLS.md §1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { endpointNodeId } from '../../discovery/endpoint-nodes.js';
import type { NodeRecord } from '../../discovery/types.js';
import { createFakeOllama } from '../fakes/fake-ollama.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

const KEY = 'static-peers-test-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function agent(name: string, opts: { dataDir?: string; peers?: string[]; endpoints?: unknown[] } = {}): Promise<TestAgent> {
  const a = await startTestAgent({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    config: {
      node: { name },
      mesh: { key: KEY },
      probes: { servicesIntervalSec: 1 },
      discovery: {
        mdns: { enabled: false },
        tailnet: { enabled: false },
        healthIntervalMs: 200,
        peerTimeoutMs: 500,
        peers: opts.peers ?? [],
        endpoints: (opts.endpoints ?? []) as never,
      },
    },
  });
  cleanups.push(() => a.stop());
  return a;
}

const call = async (a: TestAgent, method: string, body?: unknown) =>
  fetch(`${a.url}/api/v1/peers`, { method, headers: await a.admin(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const nodes = async (a: TestAgent): Promise<NodeRecord[]> => ((await (await fetch(`${a.url}/api/v1/nodes`)).json()) as { nodes: NodeRecord[] }).nodes;

describe('static peers API', () => {
  it('adds an agent URL at run time; the peer appears, survives a restart, and its static path leaves when removed', async () => {
    const b = await agent('beta');
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'im-static-'));
    let a = await agent('alpha', { dataDir: dir });

    const added = await call(a, 'POST', { url: `${b.url}/` });
    expect(added.status).toBe(201);
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined));
    expect(((await (await call(a, 'GET')).json()) as { peers: unknown[] }).peers).toEqual([{ url: b.url, origin: 'api' }]);
    expect((await call(a, 'POST', { url: b.url })).status).toBe(409); // same peer, trailing slash or not

    await a.stop();
    cleanups.pop();
    a = await agent('alpha', { dataDir: dir });
    // Known from the saved registry before it answers, then up again.
    expect((await nodes(a)).map((n) => n.name)).toContain('beta');
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined));

    const removed = await call(a, 'DELETE', { url: b.url });
    expect(removed.status).toBe(200);
    // The static path is gone. Beta is still a member that talks to alpha, so alpha may find it again
    // through beta's own signed requests (issue 17), but never as a static peer.
    expect((await nodes(a)).find((n) => n.name === 'beta')?.sources ?? []).not.toContain('static');
    expect((await call(a, 'DELETE', { url: b.url })).status).toBe(404);
  });

  it('a peer from the config file cannot be removed through the API (409, says where it is set)', async () => {
    const a = await agent('alpha', { peers: ['http://127.0.0.1:9/'] });
    const res = await call(a, 'DELETE', { url: 'http://127.0.0.1:9' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/set in the config file \(discovery\.peers\)/);
  });

  it.each([
    [{}, /url: .*|name: /],
    [{ url: 'ftp://x' }, /url: must be an http:\/\/ or https:\/\/ URL/],
    [{ name: 'nas' }, /needs the URL of at least one kind under urls: ollama, immich-ml/],
    [{ url: 'http://h:7650', extra: 1 }, /Unrecognized key/],
  ])('a bad body %j is a 400 that says what is wrong', async (body, message) => {
    const a = await agent('alpha');
    const res = await call(a, 'POST', body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string; details: string[] } };
    expect(err.error.code).toBe('bad_request');
    expect(err.error.message).toMatch(message);
    expect(Array.isArray(err.error.details)).toBe(true);
  });

  it('a body that is not JSON is a 400', async () => {
    const a = await agent('alpha');
    const res = await fetch(`${a.url}/api/v1/peers`, { method: 'POST', headers: { authorization: (await a.admin()).authorization ?? '' }, body: 'url=http://x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('the body must be JSON');
  });

  it('changes without the admin credential are refused with a message that says what to do', async () => {
    const a = await agent('alpha');
    const res = await fetch(`${a.url}/api/v1/peers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://10.0.0.5:7650' }) });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('admin_required');
    expect(body.error.message).toMatch(/inference-mesh admin-token/);
    const wrong = await fetch(`${a.url}/api/v1/peers`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '{}' });
    expect(wrong.status).toBe(403);
    expect((await call(a, 'GET')).status).toBe(200); // reading stays open
  });

  it('a plain Ollama endpoint becomes a node with its name, probed like a local service', async () => {
    const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }] });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const a = await agent('alpha');
    expect((await call(a, 'POST', { name: 'old-laptop', urls: { ollama: ollama.url } })).status).toBe(201);
    const node = await eventually(async () => (await nodes(a)).find((n) => n.name === 'old-laptop' && n.state === 'up'));
    expect(node.nodeId).toBe(endpointNodeId('old-laptop'));
    expect(node.sources).toEqual(['endpoint']);
    expect(node.advert?.services.ollama?.models.map((m) => m.name)).toEqual(['llama3.2:3b']);
    await ollama.stop();
    const down = await eventually(async () => (await nodes(a)).find((n) => n.name === 'old-laptop' && n.state === 'down'));
    expect(down.paths[0]?.lastError).toMatch(/connection refused/);
  });
});
