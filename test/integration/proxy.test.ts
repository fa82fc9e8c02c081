/**
 * The routed endpoints end to end over real sockets: a hub and a gaming PC (static peers), each
 * with a fake Ollama and a fake Immich ML that follow PROTOCOLS.md exactly (the real ones cannot
 * be installed here), talked to with the official `ollama` and `openai` npm clients.
 */
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../../agent/config-schema.js';
import { createFakeImmichMl, type FakeImmichMl } from '../fakes/fake-immich-ml.js';
import { createFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { createFakeExec, ok } from '../fakes/io.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually, freePort } from '../helpers/cli.js';

const KEY = 'proxy-test-mesh-key-0123456789ab';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function started<T extends { start(): Promise<void>; stop(): Promise<void> }>(fake: T): Promise<T> {
  await fake.start();
  cleanups.push(() => fake.stop());
  return fake;
}

interface Mesh {
  hub: TestAgent;
  pc: TestAgent;
  hubOllama: FakeOllama;
  pcOllama: FakeOllama;
  hubMl: FakeImmichMl;
  pcMl: FakeImmichMl;
}

/** The hub's services with a dedicated Ollama port or a shorter Immich ML timeout (`services.<kind>.*`). */
function withServices<C extends AgentConfigInput>(c: C, opts: { hubOllamaPort?: number; hubMlTimeoutMs?: number }): C {
  return {
    ...c,
    services: {
      ollama: { ...c.services?.ollama, ...(opts.hubOllamaPort ? { port: opts.hubOllamaPort } : {}) },
      'immich-ml': { ...c.services?.['immich-ml'], ...(opts.hubMlTimeoutMs ? { firstByteTimeoutMs: opts.hubMlTimeoutMs } : {}) },
    },
  };
}

async function mesh(opts: { hubProxy?: AgentConfigInput['proxy']; hubOllamaPort?: number; hubMlTimeoutMs?: number; pcOllama?: Parameters<typeof createFakeOllama>[0] } = {}): Promise<Mesh> {
  const hubOllama = await started(createFakeOllama({ models: [{ name: 'llama3.2:3b' }, { name: 'all-minilm' }] }));
  const pcOllama = await started(createFakeOllama({ models: [{ name: 'llama3.1:8b' }, { name: 'llama3.2:3b' }], ...opts.pcOllama }));
  const hubMl = await started(createFakeImmichMl({}));
  const pcMl = await started(createFakeImmichMl({}));
  const base = (name: string, ollama: FakeOllama, ml: FakeImmichMl): AgentConfigInput => ({
    node: { name },
    mesh: { key: KEY },
    services: { ollama: { url: ollama.url }, 'immich-ml': { url: ml.url } },
    probes: { servicesIntervalSec: 1 },
  });
  const pc = await startTestAgent({
    config: { ...base('gaming-pc', pcOllama, pcMl), discovery: { mdns: { enabled: false }, healthIntervalMs: 200 } },
    deps: { exec: createFakeExec({ 'nvidia-smi': ok('NVIDIA GeForce RTX 4080, 00000000:01:00.0, 16376, 1200, 3\n') }) },
  });
  cleanups.push(() => pc.stop());
  const hub = await startTestAgent({
    config: { ...withServices(base('hub', hubOllama, hubMl), opts), discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] }, ...(opts.hubProxy ? { proxy: opts.hubProxy } : {}) },
  });
  cleanups.push(() => hub.stop());
  // Both nodes' services probed and the gaming PC (the GPU) elected for Ollama.
  await eventually(async () => {
    const p = (await (await fetch(`${hub.url}/api/v1/placement`)).json()) as { kinds: { ollama: { elected: string | null } } };
    return p.kinds.ollama.elected === pc.agent.nodeId() ? true : undefined;
  });
  return { hub, pc, hubOllama, pcOllama, hubMl, pcMl };
}

describe('routed Ollama endpoint', () => {
  it('the official ollama client works against /ollama: list, ps, show, version, chat stream, generate, embed', async () => {
    const m = await mesh();
    const client = new Ollama({ host: `${m.hub.url}/ollama` });
    const names = (await client.list()).models.map((x) => x.name).sort();
    expect(names).toEqual(['all-minilm:latest', 'llama3.1:8b', 'llama3.2:3b']); // merged, deduplicated
    expect((await client.version()).version).toBe('0.33.0');
    expect((await client.show({ model: 'llama3.1:8b' })).details).toBeDefined();

    let text = '';
    for await (const part of await client.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += part.message.content;
    expect(text.length).toBeGreaterThan(0);
    expect(m.pcOllama.calls.some((c) => c.path === '/api/chat')).toBe(true); // the elected GPU node served it
    expect(m.hubOllama.calls.some((c) => c.path === '/api/chat')).toBe(false);

    const gen = await client.generate({ model: 'llama3.1:8b', prompt: 'hi', stream: false });
    expect(gen.done).toBe(true);
    const emb = await client.embed({ model: 'all-minilm', input: 'hello' }); // only the hub has it
    expect(emb.embeddings[0]?.length).toBeGreaterThan(0);
    expect(m.hubOllama.calls.some((c) => c.path === '/api/embed')).toBe(true);
    expect((await client.ps()).models.map((x) => x.name)).toContain('llama3.2:3b');
  });

  it('every answer names the node that served it; a model nobody has gets Ollama\'s own 404 (and OpenAI\'s on /v1)', async () => {
    const m = await mesh();
    const res = await fetch(`${m.hub.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'x', stream: false }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-inference-mesh-node')).toBe('gaming-pc');
    const missing = await fetch(`${m.hub.url}/ollama/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'nope:1b', messages: [] }) });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "model 'nope:1b' not found" });
    const v1 = await fetch(`${m.hub.url}/ollama/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] }) });
    expect(v1.status).toBe(404);
    expect(await v1.json()).toEqual({ error: { message: "model 'nope:1b' not found", type: 'not_found_error', param: null, code: null } });
  });

  it('the openai client works against /ollama/v1: chat stream and models', async () => {
    const m = await mesh();
    const openai = new OpenAI({ baseURL: `${m.hub.url}/ollama/v1`, apiKey: 'unused' });
    const models = await openai.models.list();
    expect(models.data.map((x) => x.id).sort()).toEqual(['all-minilm:latest', 'llama3.1:8b', 'llama3.2:3b']);
    const stream = await openai.chat.completions.create({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('a backend killed under load: no non-streaming request fails; the next node serves', async () => {
    const m = await mesh();
    const client = new Ollama({ host: `${m.hub.url}/ollama` });
    const results: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 10) void m.pcOllama.stop(); // killed while requests are in flight
      results.push(client.generate({ model: 'llama3.2:3b', prompt: `q${i}`, stream: false }));
      await new Promise((r) => setTimeout(r, 5));
    }
    const settled = await Promise.allSettled(results);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s).reason))).toEqual([]);
    expect(m.hubOllama.calls.filter((c) => c.path === '/api/generate').length).toBeGreaterThan(0);
  });

  it('a backend killed mid-stream: the client sees an error, not a hang', async () => {
    const m = await mesh({ pcOllama: { tokensPerSec: 20, responseTokens: Array.from({ length: 200 }, (_, i) => `t${i} `) } });
    const client = new Ollama({ host: `${m.hub.url}/ollama` });
    const stream = await client.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'long' }], stream: true });
    let parts = 0;
    const consumed = (async () => {
      for await (const _ of stream) {
        parts++;
        if (parts === 3) void m.pcOllama.stop();
      }
    })();
    await expect(consumed).rejects.toThrow(/stopped answering in the middle of the response/);
  });

  it('a client that goes away aborts the upstream request', async () => {
    const m = await mesh({ pcOllama: { tokensPerSec: 10, responseTokens: Array.from({ length: 100 }, () => 'x ') } });
    const ac = new AbortController();
    const res = await fetch(`${m.hub.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', prompt: 'x' }), signal: ac.signal });
    const reader = res.body?.getReader();
    await reader?.read();
    ac.abort();
    const call = await m.pcOllama.waitForCall((c) => c.path === '/api/generate' && c.aborted, 10_000);
    expect(call.aborted).toBe(true);
  });

  it('falls back to a smaller model when no offered node has the big one, and says which model ran', async () => {
    const m = await mesh({ hubProxy: { modelFallbacks: { 'llama3.1:8b': 'llama3.2:3b' } } });
    await fetch(`${m.pc.url}/api/v1/overrides/offer`, { method: 'PUT', headers: await m.pc.admin(), body: JSON.stringify({ mode: 'out' }) });
    await eventually(async () => {
      const p = (await (await fetch(`${m.hub.url}/api/v1/placement`)).json()) as { kinds: { ollama: { elected: string | null } } };
      return p.kinds.ollama.elected === m.hub.agent.nodeId() ? true : undefined;
    });
    const res = await fetch(`${m.hub.url}/ollama/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-inference-mesh-node')).toBe('hub');
    expect(res.headers.get('x-inference-mesh-model')).toBe('llama3.2:3b');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { model: string; done: boolean });
    expect(lines.every((l) => l.model === 'llama3.1:8b')).toBe(true);
    expect(lines.at(-1)?.done).toBe(true);
    expect((m.hubOllama.calls.find((c) => c.path === '/api/chat')?.body as { model: string }).model).toBe('llama3.2:3b');
  });

  it('a dedicated port serves Ollama at its root', async () => {
    const port = await freePort();
    const m = await mesh({ hubOllamaPort: port });
    const client = new Ollama({ host: `http://127.0.0.1:${port}` });
    expect((await client.list()).models.length).toBe(3);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('Ollama is running');
    void m;
  });
});

describe('routed Immich ML endpoint', () => {
  const form = (entries: unknown, input: { text?: string; image?: Uint8Array<ArrayBuffer> }) => {
    const f = new FormData();
    f.append('entries', JSON.stringify(entries));
    if (input.text !== undefined) f.append('text', input.text);
    if (input.image) f.append('image', new Blob([new Uint8Array(input.image)]));
    return f;
  };

  it('forwards multipart /predict untouched; text search is interactive, image work goes to a batch node', async () => {
    const m = await mesh();
    expect(await (await fetch(`${m.hub.url}/immich-ml/ping`)).text()).toBe('pong');
    const visual = await fetch(`${m.hub.url}/immich-ml/predict`, { method: 'POST', body: form({ clip: { visual: { modelName: 'ViT-B-32__openai' } } }, { image: new Uint8Array([1, 2, 3]) }) });
    expect(visual.status).toBe(200);
    expect(visual.headers.get('x-inference-mesh-node')).toBe('gaming-pc');
    expect(typeof ((await visual.json()) as { clip: unknown }).clip).toBe('string');
    expect(m.pcMl.calls.at(-1)?.input).toBe('image');

    // The gaming PC goes away: text queries fall back to the hub at once. Image work has no batch node,
    // and with no Immich API key nobody can pause the queues, so the hub's CPU takes it (issue 12).
    await fetch(`${m.pc.url}/api/v1/overrides/offer`, { method: 'PUT', headers: await m.pc.admin(), body: JSON.stringify({ mode: 'out' }) });
    await eventually(async () => {
      const r = await fetch(`${m.hub.url}/immich-ml/predict`, { method: 'POST', body: form({ clip: { textual: { modelName: 'ViT-B-32__openai' } } }, { text: 'a dog' }) });
      return r.headers.get('x-inference-mesh-node') === 'hub' ? true : undefined;
    });
    const held = await fetch(`${m.hub.url}/immich-ml/predict`, { method: 'POST', body: form({ 'facial-recognition': { detection: { modelName: 'buffalo_l' }, recognition: { modelName: 'buffalo_l' } } }, { image: new Uint8Array([1]) }) });
    expect(held.status).toBe(200);
    expect(held.headers.get('x-inference-mesh-node')).toBe('hub');
    expect(m.hubMl.calls.at(-1)?.input).toBe('image');
  });

  it('a hanging ML node times out and the request fails over', async () => {
    const m = await mesh({ hubMlTimeoutMs: 300, hubProxy: { holdForWakeSec: 0 } });
    m.pcMl.setHang(true);
    const r = await fetch(`${m.hub.url}/immich-ml/predict`, { method: 'POST', body: form({ clip: { textual: { modelName: 'ViT-B-32__openai' } } }, { text: 'cat' }) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-inference-mesh-node')).toBe('hub');
  });
});

describe('who may call', () => {
  // A client outside the allowed networks needs a foreign source address: test/unit/api/proxy-router.test.ts
  // (in process) and test/netns/hostile.test.ts (a namespace) cover it.
  it('loopback is let in even when allowedCidrs leaves it out (issue 11)', async () => {
    const m = await mesh({ hubProxy: { allowedCidrs: ['10.0.0.0/8'] } });
    expect((await fetch(`${m.hub.url}/ollama/api/tags`)).status).toBe(200);
    expect((await fetch(`${m.hub.url}/immich-ml/ping`)).status).toBe(200);
  });

  it('with proxy.apiKey, requests need Authorization: Bearer', async () => {
    const m = await mesh({ hubProxy: { apiKey: 'secret-key-123' } });
    expect((await fetch(`${m.hub.url}/ollama/api/tags`)).status).toBe(403);
    const client = new Ollama({ host: `${m.hub.url}/ollama`, headers: { Authorization: 'Bearer secret-key-123' } });
    expect((await client.list()).models.length).toBe(3);
  });
});

describe('observability', () => {
  it('counts requests, failovers and latency per node, as JSON and Prometheus text', async () => {
    const m = await mesh();
    const client = new Ollama({ host: `${m.hub.url}/ollama` });
    await client.generate({ model: 'llama3.2:3b', prompt: 'x', stream: false });
    const stats = (await (await fetch(`${m.hub.url}/api/v1/stats`)).json()) as { kinds: { ollama: { nodes: Record<string, { requests: number }> } } };
    expect(stats.kinds.ollama.nodes['gaming-pc']?.requests).toBe(1);
    const metrics = await (await fetch(`${m.hub.url}/metrics`)).text();
    expect(metrics).toMatch(/inference_mesh_requests_total\{kind="ollama",node="gaming-pc",outcome="ok"\} 1/);
  });
});
