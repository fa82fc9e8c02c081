/**
 * Issue 17 over real sockets, mDNS off so only the peer protocol can do it: a member that sends us
 * a signed request is found, and one sighting of any member finds the rest (the advert lists the
 * members an agent verified; each is verified directly before it is added).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../discovery/types.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually, freePort, startCliAgent } from '../helpers/cli.js';

const KEY = 'formation-test-mesh-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function agent(name: string, peers: string[] = [], healthIntervalMs = 200): Promise<TestAgent> {
  const a = await startTestAgent({
    config: {
      node: { name },
      mesh: { key: KEY },
      services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } },
      discovery: { mdns: { enabled: false }, tailnet: { enabled: false }, healthIntervalMs, peers },
    },
  });
  cleanups.push(() => a.stop());
  return a;
}

const nodes = async (a: TestAgent): Promise<NodeRecord[]> => ((await (await fetch(`${a.url}/api/v1/nodes`)).json()) as { nodes: NodeRecord[] }).nodes;
const upNames = async (a: TestAgent): Promise<string[]> => (await nodes(a)).filter((n) => n.state === 'up').map((n) => n.name).sort();

describe('mesh formation without multicast (issue 17)', () => {
  it('an agent that only receives signed requests finds their sender (a one-sided static peer becomes mutual)', async () => {
    const hub = await agent('hub');
    const pc = await agent('pc', [hub.url]); // only the PC knows where the hub is
    await eventually(async () => ((await upNames(hub)).includes('pc') ? true : undefined));
    const seen = (await nodes(hub)).find((n) => n.name === 'pc');
    expect(seen?.sources).toEqual(['peer']);
    expect(seen?.paths[0]?.url).toBe(pc.url);
    expect(seen?.paths[0]?.proven).toBe(true);
  });

  it("one sighting of any member finds the rest: C knows only B, and finds A through B's advert", async () => {
    const b = await agent('b');
    const a = await agent('a', [b.url]);
    await eventually(async () => ((await upNames(b)).includes('a') ? true : undefined));
    const c = await agent('c', [b.url]);
    await eventually(async () => ((await upNames(c)).join() === 'a,b,c' ? true : undefined));
    await eventually(async () => ((await upNames(a)).join() === 'a,b,c' ? true : undefined));
    const advert = (await (await fetch(`${b.url}/api/v1/node`)).json()) as { members: { nodeId: string; addr: string }[] };
    expect(advert.members.map((m) => m.nodeId).sort()).toEqual([a.agent.nodeId(), c.agent.nodeId()].sort());
    expect((await nodes(c)).find((n) => n.name === 'a')?.sources).toEqual(['peer']);
  });

  it('only members reached now are passed on: after A stops, a newcomer that knows only B never lists A', async () => {
    const a = await agent('a');
    const b = await agent('b', [a.url]);
    await eventually(async () => ((await upNames(b)).includes('a') ? true : undefined));
    await a.stop(); // stopping twice (here and in afterEach) is harmless
    await eventually(async () => ((await nodes(b)).find((n) => n.name === 'a')?.state === 'down' ? true : undefined));
    const c = await agent('c', [b.url]);
    await eventually(async () => ((await upNames(c)).includes('b') ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect((await nodes(c)).map((n) => n.name)).not.toContain('a');
  });

  it('a crashed member is seen down at once, long before its next check: the kernel closes its connections', async () => {
    // Checks only every 60 s: only the closed connections can tell the hub in time.
    const hub = await agent('hub', [], 60_000);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'im-formation-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'agent.config.json');
    await writeFile(
      config,
      JSON.stringify({
        node: { name: 'pc' },
        mesh: { key: KEY },
        services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } },
        discovery: { mdns: { enabled: false }, tailnet: { enabled: false }, healthIntervalMs: 60_000, peers: [hub.url] },
      }),
    );
    const pc = await startCliAgent(['--config', config, '--data-dir', path.join(dir, 'data')], { port: await freePort() });
    cleanups.push(() => pc.stop('SIGKILL'));
    await eventually(async () => ((await upNames(hub)).includes('pc') ? true : undefined));
    await pc.stop('SIGKILL');
    await eventually(async () => ((await nodes(hub)).find((n) => n.name === 'pc')?.state === 'down' ? true : undefined), 20_000);
  });
});
