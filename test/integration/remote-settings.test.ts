/**
 * Issue 16, one place to set up the mesh: the hub reads and changes the gaming PC's settings over
 * the mesh, signed with the mesh key and addressed to the PC alone; the PC applies and keeps the
 * change exactly as one made on its own Setup page, unless its owner refused remote settings.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../../agent/config-schema.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

const KEY = 'remote-settings-test-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const quiet: AgentConfigInput = { mesh: { key: KEY }, services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } } };

async function agent(name: string, o: { peers?: string[]; dataDir?: string; acceptRemoteSettings?: boolean; port?: number } = {}): Promise<TestAgent> {
  const a = await startTestAgent({
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    config: {
      ...quiet,
      node: { name },
      mesh: { key: KEY, acceptRemoteSettings: o.acceptRemoteSettings ?? true },
      ...(o.port ? { api: { port: o.port, host: '127.0.0.1' } } : {}),
      discovery: { mdns: { enabled: false }, tailnet: { enabled: false }, healthIntervalMs: 200, peers: o.peers ?? [] },
    },
  });
  cleanups.push(() => a.stop());
  return a;
}

const WINDOW = { days: ['fri', 'sat'], from: '22:00', to: '07:00' };

async function pair(o: { acceptRemoteSettings?: boolean } = {}) {
  const pcDir = await mkdtemp(path.join(os.tmpdir(), 'im-remote-pc-'));
  const pc = await agent('gaming-pc', { dataDir: pcDir, ...o });
  const hub = await agent('hub', { peers: [pc.url] });
  await eventually(async () => {
    const nodes = ((await (await fetch(`${hub.url}/api/v1/nodes`)).json()) as { nodes: { name: string; state: string }[] }).nodes;
    return nodes.some((n) => n.name === 'gaming-pc' && n.state === 'up') ? true : undefined;
  });
  return { hub, pc, pcDir };
}

describe("another node's settings from the hub (issue 16)", () => {
  it("the hub changes the PC's window; the PC applies it as its own, advertises it, and keeps it over a restart", async () => {
    const { hub, pc, pcDir } = await pair();
    const pcId = pc.agent.nodeId();
    const before = (await (await fetch(`${hub.url}/api/v1/nodes/${pcId}/settings`)).json()) as { offer: { windows?: unknown[] } };
    expect(before.offer.windows ?? []).toEqual([]); // none: always offered

    const denied = await fetch(`${hub.url}/api/v1/nodes/${pcId}/settings`, { method: 'PUT', body: JSON.stringify({ offer: { windows: [WINDOW] } }), headers: { 'content-type': 'application/json' } });
    expect(denied.status).toBe(401);

    const res = await fetch(`${hub.url}/api/v1/nodes/${pcId}/settings`, { method: 'PUT', headers: await hub.admin(), body: JSON.stringify({ offer: { windows: [WINDOW] } }) });
    expect(res.status).toBe(200);
    const saved = (await res.json()) as { offer: { windows: unknown[] }; overridden: string[] };
    expect(saved.offer.windows).toEqual([WINDOW]);
    expect(saved.overridden).toContain('offer.windows');
    // On the PC itself, exactly as if set on its own page.
    const own = (await (await fetch(`${pc.url}/api/v1/settings`)).json()) as { offer: { windows: unknown[] } };
    expect(own.offer.windows).toEqual([WINDOW]);
    // Every agent elects from the advertised offer: the hub sees the new window in the PC's advert.
    await eventually(async () => {
      const nodes = ((await (await fetch(`${hub.url}/api/v1/nodes`)).json()) as { nodes: { name: string; advert: { offer: { windows: unknown[] } | null } | null }[] }).nodes;
      return nodes.find((n) => n.name === 'gaming-pc')?.advert?.offer?.windows.length === 1 ? true : undefined;
    });

    const port = pc.agent.port();
    await pc.stop();
    const again = await agent('gaming-pc', { dataDir: pcDir, port });
    const kept = (await (await fetch(`${again.url}/api/v1/settings`)).json()) as { offer: { windows: unknown[] } };
    expect(kept.offer.windows).toEqual([WINDOW]);
  });

  it("a PC whose owner refused remote settings says so (403), and nothing changes there", async () => {
    const { hub, pc } = await pair({ acceptRemoteSettings: false });
    const res = await fetch(`${hub.url}/api/v1/nodes/${pc.agent.nodeId()}/settings`, { method: 'PUT', headers: await hub.admin(), body: JSON.stringify({ offer: { coolDownSec: 60 } }) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/does not accept settings from other machines/);
    expect(((await (await fetch(`${pc.url}/api/v1/settings`)).json()) as { offer: { coolDownSec: number } }).offer.coolDownSec).not.toBe(60);
    // Reading stays possible: the owner only refused changes.
    expect((await fetch(`${hub.url}/api/v1/nodes/${pc.agent.nodeId()}/settings`)).status).toBe(200);
  });

  it('a bad change is refused by the PC with its reason; unknown and malformed node ids get 404 and 400', async () => {
    const { hub, pc } = await pair();
    const bad = await fetch(`${hub.url}/api/v1/nodes/${pc.agent.nodeId()}/settings`, { method: 'PUT', headers: await hub.admin(), body: JSON.stringify({ offer: { coolDownSec: 'soon' } }) });
    expect(bad.status).toBe(400);
    expect((await fetch(`${hub.url}/api/v1/nodes/${'f'.repeat(32)}/settings`)).status).toBe(404);
    expect((await fetch(`${hub.url}/api/v1/nodes/gaming-pc/settings`)).status).toBe(400);
    // The hub's own id is the hub's own settings.
    expect((await fetch(`${hub.url}/api/v1/nodes/${hub.agent.nodeId()}/settings`)).status).toBe(200);
  });
});
