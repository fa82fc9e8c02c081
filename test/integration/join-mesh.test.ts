/**
 * The README's quick start, in process (issue 11: the key never on a command line): the hub makes
 * a key, `inference-mesh key` prints it, the PC runs `inference-mesh join` with it on standard
 * input, starts without any key flag, and the two find each other over loopback mDNS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../discovery/types.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';
import { cliInProcess } from '../helpers/cli-io.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function start(name: string, dataDir?: string): Promise<TestAgent> {
  const a = await startTestAgent({ config: { node: { name } }, ...(dataDir ? { dataDir } : {}) });
  cleanups.push(() => a.stop());
  return a;
}

describe('joining a mesh with `inference-mesh join`', () => {
  it('the PC joins the hub with the key from `key`, piped to `join`, and they find each other', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'im-join-mesh-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const hub = await start('hub');
    const key = await cliInProcess(['key', '--data-dir', hub.dataDir], { homeDir: home });
    expect(key.code).toBe(0);

    const pcDir = path.join(home, 'pc');
    const joined = await cliInProcess(['join', '--data-dir', pcDir], { homeDir: home, stdin: key.stdout });
    expect(joined.code).toBe(0);
    await start('pc', pcDir);

    const seen = await eventually(async () => {
      const list = ((await (await fetch(`${hub.url}/api/v1/nodes`)).json()) as { nodes: NodeRecord[] }).nodes;
      return list.find((n) => n.name === 'pc' && n.state === 'up');
    }, 30_000);
    expect(seen.sources).toContain('mdns');
  });
});
