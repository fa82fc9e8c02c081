/**
 * Discovery between agents in one process over real mDNS packets pinned to 127.0.0.1 (never the
 * outside network) and real HTTP: two share a mesh key, one does not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../discovery/types.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

const KEY = 'loopback-test-mesh-key-0123456789';
const agents: TestAgent[] = [];
afterEach(async () => {
  while (agents.length) await agents.pop()?.stop();
});

async function start(name: string, key: string, extra: Record<string, unknown> = {}): Promise<TestAgent> {
  const a = await startTestAgent({ config: { node: { name }, mesh: { key }, ...extra } });
  agents.push(a);
  return a;
}

async function nodes(a: TestAgent): Promise<NodeRecord[]> {
  return ((await (await fetch(`${a.url}/api/v1/nodes`)).json()) as { nodes: NodeRecord[] }).nodes;
}

describe('discovery over loopback mDNS', () => {
  it('members of one mesh find each other; an agent of another mesh is never listed', async () => {
    const a = await start('alpha', KEY);
    const b = await start('beta', KEY);
    const c = await start('gamma', 'another-mesh-key-abcdefghijklmnop');

    const seen = await eventually(async () => {
      const list = await nodes(a);
      const beta = list.find((n) => n.name === 'beta');
      return beta?.state === 'up' ? list : undefined;
    });
    expect(seen[0]?.name).toBe('alpha'); // self first
    expect(seen[0]?.sources).toEqual(['self']);
    const beta = seen.find((n) => n.name === 'beta');
    expect(beta?.nodeId).toBe(b.agent.nodeId());
    expect(beta?.sources).toEqual(['mdns']);
    expect(beta?.advert?.name).toBe('beta');
    expect(beta?.addresses).toContain('127.0.0.1');

    await eventually(async () => ((await nodes(b)).some((n) => n.name === 'alpha' && n.state === 'up') ? true : undefined));
    // gamma had every chance to be seen by now: it announced before alpha finished finding beta.
    expect((await nodes(a)).map((n) => n.name)).not.toContain('gamma');
    expect((await nodes(c)).map((n) => n.name)).toEqual(['gamma']);
    expect(a.deps.lines.some((l) => l.includes('ignoring an mDNS advert') && l.includes('another mesh'))).toBe(true);
  });

  it('a peer that stops is marked down quickly (goodbye + leaving), and comes back up when it restarts', async () => {
    const a = await start('alpha', KEY);
    const bDir = (await import('node:fs/promises')).mkdtemp((await import('node:path')).join((await import('node:os')).tmpdir(), 'im-b-'));
    const dir = await bDir;
    const b1 = await startTestAgent({ dataDir: dir, config: { node: { name: 'beta' }, mesh: { key: KEY } } });
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined));
    await b1.agent.stop();
    const down = await eventually(async () => (await nodes(a)).find((n) => n.name === 'beta' && n.state === 'down'));
    expect(down.downSinceMs).not.toBeNull();
    const b2 = await startTestAgent({ dataDir: dir, config: { node: { name: 'beta' }, mesh: { key: KEY } } });
    agents.push(b2);
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined));
    expect((await nodes(a)).filter((n) => n.name === 'beta')).toHaveLength(1); // same node id, one entry
  });
});
