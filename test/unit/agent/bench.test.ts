/**
 * The bench (issue 15) against two faithful fake Ollamas that report 8 and 120 tokens/s in their
 * final line (test/fakes/ollama: `reportedSpeed`), over loopback through the agent's real
 * upstream transport. Placement is the real election's, at 14:02 (the gaming PC outside its
 * window) and 23:00 (both offered).
 */
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BENCH_PROMPT, WARM_UP_PROMPT, createBench, defaultModel, perSec, type BenchPost } from '../../../agent/bench.js';
import { upstreamBenchPost } from '../../../agent/bench-transport.js';
import { systemClock, type Clock } from '../../../agent/kernel/clock.js';
import { isSkipped, type BenchMeasured } from '../../../agent/kernel/shapes/bench.js';
import { placementPolicySchema } from '../../../agent/kernel/shapes/offer.js';
import type { NodeRecord } from '../../../discovery/types.js';
import type { Target } from '../../../api/proxy/targets.js';
import { electKind } from '../../../scheduler/election.js';
import { describeKind } from '../../../scheduler/placement-view.js';
import { createFakeOllama, type FakeOllama } from '../../fakes/fake-ollama.js';
import { WED, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';

const MODELS = [{ name: 'llama3.1:8b' }, { name: 'llama3.2:3b' }];
let hubOllama: FakeOllama;
let pcOllama: FakeOllama;
const agent = new http.Agent({ keepAlive: false });

beforeAll(async () => {
  hubOllama = createFakeOllama({ models: MODELS, reportedSpeed: { tokensPerSec: 8, promptTokensPerSec: 60 } });
  pcOllama = createFakeOllama({ models: MODELS, reportedSpeed: { tokensPerSec: 120, promptTokensPerSec: 1500 } });
  await Promise.all([hubOllama.start(), pcOllama.start()]);
});
afterAll(async () => {
  agent.destroy();
  await Promise.all([hubOllama.stop(), pcOllama.stop()]);
});
beforeEach(() => {
  hubOllama.clearCalls();
  pcOllama.clearCalls();
});

const nodes = (): NodeRecord[] => [node(hub(), { sources: ['self'] }), node(gamingPc())];

function benchAt(nowMs: number, wrap: (post: BenchPost) => BenchPost = (p) => p) {
  const clock: Clock = { ...systemClock, nowMs: () => nowMs };
  const fakes: Record<string, FakeOllama> = { hub: hubOllama, 'gaming-pc': pcOllama };
  const target = (n: NodeRecord): Target | null => {
    const fake = fakes[n.name];
    return fake ? { nodeId: n.nodeId, name: n.name, via: 'local', host: '127.0.0.1', port: fake.port, pathPrefix: '', dialled: null } : null;
  };
  return createBench({
    nodes,
    placementFor: (model) =>
      describeKind(electKind('ollama', { nodes: nodes(), policy: placementPolicySchema.parse({}), pins: [], nowMs }, { model }).placement, { nowMs, zone: 'Europe/London' }),
    target,
    post: wrap(upstreamBenchPost({ agent, relay: { key: () => null, selfId: () => '', nowMs: clock.nowMs }, clock })),
    clock,
    callTimeoutMs: 10_000,
  });
}

describe('bench', () => {
  it('measures every offered node that has the model, one at a time, with a warm-up: 8 and 120 tok/s', async () => {
    const events: string[] = [];
    const bench = benchAt(WED(23), (post) => async (target, path, body, timeoutMs) => {
      events.push(`start ${target.name}`);
      const reply = await post(target, path, body, timeoutMs);
      events.push(`end ${target.name}`);
      return reply;
    });
    const answer = await bench.run({ model: 'llama3.2:3b' });
    expect(answer.model).toBe('llama3.2:3b');
    expect(answer.nodes.map((n) => n.name)).toEqual(['hub', 'gaming-pc']);
    const [hubFig, pcFig] = answer.nodes as BenchMeasured[];
    expect(hubFig).toMatchObject({ gpu: null, genTokPerSec: 8, promptTokPerSec: 60 });
    expect(pcFig).toMatchObject({ gpu: 'NVIDIA GeForce RTX 4080', genTokPerSec: 120, promptTokPerSec: 1500 });
    for (const f of [hubFig, pcFig]) {
      expect(f?.ttftMs).toBeGreaterThanOrEqual(0);
      expect(f?.loadMs).toBeGreaterThanOrEqual(0);
    }
    // One node at a time: the second node's calls start after the first's ended.
    expect(events).toEqual(['start hub', 'end hub', 'start hub', 'end hub', 'start gaming-pc', 'end gaming-pc', 'start gaming-pc', 'end gaming-pc']);
    for (const fake of [hubOllama, pcOllama]) {
      expect(fake.calls.map((c) => c.path)).toEqual(['/api/generate', '/api/generate']);
      expect(fake.calls.map((c) => (c.body as { prompt: string }).prompt)).toEqual([WARM_UP_PROMPT, BENCH_PROMPT]);
      expect(fake.calls[1]?.body).toMatchObject({ model: 'llama3.2:3b', stream: true, options: { num_predict: 64, temperature: 0 } });
    }
  });

  it('skips a node that is not offered now, with the placement reason, and never calls it', async () => {
    const answer = await benchAt(WED(14, 2)).run({ model: 'llama3.2:3b' });
    const pc = answer.nodes.find((n) => n.name === 'gaming-pc');
    expect(pc && isSkipped(pc) ? pc.skipped : 'measured').toMatch(/window/);
    expect(pcOllama.calls).toHaveLength(0);
    expect(answer.nodes.find((n) => n.name === 'hub')).toMatchObject({ genTokPerSec: 8 });
  });

  it('without a model, measures the one most nodes have; only the nodes that have it take part', async () => {
    expect(defaultModel(nodes())).toBe('llama3.2:3b');
    expect((await benchAt(WED(23)).run({})).model).toBe('llama3.2:3b');
    const only = await benchAt(WED(23)).run({ model: 'llama3.1:8b' });
    expect(only.nodes.map((n) => n.name)).toEqual(['gaming-pc']);
  });

  it('a node whose Ollama fails is reported as failed, and the others are still measured', async () => {
    hubOllama.failNext({ kind: 'status', status: 500, message: 'boom', path: '/api/generate' });
    const answer = await benchAt(WED(23)).run({ model: 'llama3.2:3b' });
    const h = answer.nodes[0];
    expect(h && isSkipped(h) ? h.skipped : 'measured').toMatch(/^failed: HTTP 500/);
    expect(answer.nodes[1]).toMatchObject({ genTokPerSec: 120 });
  });

  it('refuses a model nobody has (400) and a second bench while one runs (409)', async () => {
    const bench = benchAt(WED(23));
    await expect(bench.run({ model: 'mistral:7b' })).rejects.toMatchObject({ httpStatus: 400 });
    const first = bench.run({ model: 'llama3.2:3b' });
    await expect(bench.run({ model: 'llama3.2:3b' })).rejects.toMatchObject({ httpStatus: 409 });
    await first;
  });

  it('rates are count per second from nanoseconds; missing durations give null', () => {
    expect(perSec(64, 8e9)).toBe(8);
    expect(perSec(26, 130_079_000)).toBe(199.9);
    expect(perSec(10, 0)).toBeNull();
    expect(perSec(undefined, 1e9)).toBeNull();
  });
});
