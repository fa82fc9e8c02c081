/**
 * `POST /api/v1/bench` and `inference-mesh bench` across two real agents on loopback (issue 15):
 * the hub's Ollama reports 8 tokens/s, the gaming PC's 120; the hub measures its own Ollama
 * directly and the PC's through the PC agent's relay (signed both ways), one at a time.
 */
import { speedAnswerSchema } from '../../agent/kernel/shapes/speed.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchAnswerSchema } from '../../agent/kernel/shapes/bench.js';
import { createFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';
import { cliInProcess } from '../helpers/cli-io.js';

const KEY = 'bench-integration-mesh-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
let hub: TestAgent;
let pc: TestAgent;
let hubOllama: FakeOllama;
let pcOllama: FakeOllama;

beforeAll(async () => {
  hubOllama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }], reportedSpeed: { tokensPerSec: 8, promptTokensPerSec: 60 } });
  pcOllama = createFakeOllama({ models: [{ name: 'llama3.1:8b' }, { name: 'llama3.2:3b' }], reportedSpeed: { tokensPerSec: 120, promptTokensPerSec: 1500 } });
  for (const f of [hubOllama, pcOllama]) {
    await f.start();
    cleanups.push(() => f.stop());
  }
  const common = { mesh: { key: KEY }, probes: { servicesIntervalSec: 1 }, services: { 'immich-ml': { enabled: false } } };
  pc = await startTestAgent({ config: { ...common, node: { name: 'gaming-pc' }, services: { ...common.services, ollama: { url: pcOllama.url } }, discovery: { mdns: { enabled: false }, healthIntervalMs: 200 } } });
  cleanups.push(() => pc.stop());
  hub = await startTestAgent({
    config: { ...common, node: { name: 'hub' }, services: { ...common.services, ollama: { url: hubOllama.url } }, discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] } },
  });
  cleanups.push(() => hub.stop());
  await eventually(async () => {
    const nodes = (await (await fetch(`${hub.url}/api/v1/nodes`)).json()) as { nodes: { name: string; state: string; advert: { services: { ollama: { state: string } | null } } | null }[] };
    return nodes.nodes.some((n) => n.name === 'gaming-pc' && n.state === 'up' && n.advert?.services.ollama?.state === 'up') ? true : undefined;
  });
});

afterAll(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('bench across the mesh', () => {
  it('the hub measures itself and the gaming PC (through its relay): about 8 and 120 tok/s', async () => {
    hubOllama.clearCalls();
    pcOllama.clearCalls();
    const res = await fetch(`${hub.url}/api/v1/bench`, { method: 'POST', headers: await hub.admin(), body: JSON.stringify({ model: 'llama3.2:3b' }) });
    expect(res.status).toBe(200);
    const answer = benchAnswerSchema.parse(await res.json());
    expect(answer.nodes.map((n) => [n.name, 'genTokPerSec' in n ? n.genTokPerSec : n.skipped])).toEqual([
      ['hub', 8],
      ['gaming-pc', 120],
    ]);
    // Warm-up and measured call on each, and the PC's came through its own agent (the relay).
    expect(hubOllama.calls.filter((c) => c.path === '/api/generate')).toHaveLength(2);
    expect(pcOllama.calls.filter((c) => c.path === '/api/generate')).toHaveLength(2);
    // Each node keeps the figure as a bench figure: the hub its own, the PC what its relay measured.
    await eventually(async () => {
      const speed = speedAnswerSchema.parse(await (await fetch(`${hub.url}/api/v1/speed`)).json());
      const figure = (name: string) => speed.nodes.find((n) => n.name === name)?.speed.models['llama3.2:3b'];
      const hubFigure = figure('hub');
      const pcFigure = figure('gaming-pc');
      return hubFigure?.source === 'bench' && pcFigure?.source === 'bench' && Math.round(hubFigure.genTokPerSec ?? 0) === 8 && Math.round(pcFigure.genTokPerSec ?? 0) === 120 ? true : undefined;
    });
  });

  it('needs the admin credential', async () => {
    const res = await fetch(`${hub.url}/api/v1/bench`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
  });

  it('inference-mesh bench --json on the hub prints both nodes', async () => {
    const r = await cliInProcess(['bench', '--url', hub.url, '--data-dir', hub.dataDir, '--json'], { homeDir: hub.dataDir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const answer = benchAnswerSchema.parse(JSON.parse(r.stdout));
    expect(answer.model).toBe('llama3.2:3b');
    expect(answer.nodes.map((n) => n.name)).toEqual(['hub', 'gaming-pc']);
  });
});
