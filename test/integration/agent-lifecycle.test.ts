import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../agent/agent.js';
import { configSchema } from '../../agent/config-schema.js';
import { LOCK_FILE } from '../../agent/data-dir-lock.js';
import { DataDirLockedError } from '../../agent/kernel/errors.js';
import { activeResources, leakedSince } from '../helpers/resources.js';
import { startTestAgent, testDeps } from '../helpers/agent.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'im-life-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function configFor(dir: string, port = 0) {
  const parsed = configSchema.parse({
    api: { port, host: '127.0.0.1' },
    services: { ollama: { url: 'http://127.0.0.1:9' }, 'immich-ml': { url: 'http://127.0.0.1:9' } },
    discovery: { mdns: { interfaces: ['127.0.0.1'] }, tailnet: { enabled: false } },
  });
  return { ...parsed, node: { name: 'life' }, dataDir: dir };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('agent lifecycle', () => {
  it('starts, serves health and its advert, stops cleanly; stop twice is harmless', async () => {
    const baseline = activeResources();
    const t = await startTestAgent({ dataDir });
    expect(await (await fetch(`${t.url}/api/v1/health`)).json()).toEqual({ status: 'ok' });
    const port = t.agent.port();
    await t.agent.stop();
    await t.agent.stop();
    expect(await refused(port)).toBe(true);
    expect(await readdir(dataDir)).not.toContain(LOCK_FILE);
    expect(await leakedSince(baseline)).toEqual({});
  });

  it('keeps the node id across restarts on the same data dir', async () => {
    const a = await startTestAgent({ dataDir });
    const id = a.agent.nodeId();
    await a.stop();
    const b = await startTestAgent({ dataDir });
    expect(b.agent.nodeId()).toBe(id);
    await b.stop();
  });

  it('a second agent on the same data dir refuses with a clear message and leaves the first untouched', async () => {
    const first = await startTestAgent({ dataDir, deps: { pid: 4001, isProcessAlive: (pid) => pid === 4001 } });
    const second = createAgent(configFor(dataDir), testDeps({ pid: 4002, isProcessAlive: (pid) => pid === 4001 }));
    await expect(second.start()).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(second.start()).rejects.toThrow(/pid 4001.*already using the data directory/);
    expect(await (await fetch(`${first.url}/api/v1/health`)).json()).toEqual({ status: 'ok' });
    await second.stop();
    expect(await readdir(dataDir)).toContain(LOCK_FILE);
    await first.stop();
  });

  it('a taken port fails start with a clear message, and undoes what had started', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const baseline = activeResources();
    const agent = createAgent(configFor(dataDir, port), testDeps());
    await expect(agent.start()).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    expect(await readdir(dataDir)).not.toContain(LOCK_FILE);
    await new Promise<void>((r) => blocker.close(() => r()));
    expect(await leakedSince({ ...baseline, TCPServerWrap: (baseline.TCPServerWrap ?? 1) - 1 })).toEqual({});
  });

  // Stop arriving at every point of start (zigbee2mqtt's controller test matrix): after k turns of
  // the event loop, for k from 0 until start has finished on its own.
  it('stopping during each start phase leaves no lock, socket or timer behind', async () => {
    const baseline = activeResources();
    let finishedOnItsOwn = false;
    let stopsDuringStart = 0;
    for (let k = 0; k < 20_000 && !finishedOnItsOwn; k += 1 + Math.floor(k / 8)) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'im-phase-'));
      const agent = createAgent(configFor(dir), testDeps());
      let done = false;
      const started = agent.start().then(
        () => (done = true),
        () => (done = true),
      );
      for (let i = 0; i < k && !done; i++) await new Promise((r) => setImmediate(r));
      finishedOnItsOwn = done;
      if (!done) stopsDuringStart++;
      await agent.stop();
      await started;
      expect(await readdir(dir), `k=${k}`).not.toContain(LOCK_FILE);
      const port = agent.port();
      if (port) expect(await refused(port), `k=${k}`).toBe(true);
      await rm(dir, { recursive: true, force: true });
    }
    expect(finishedOnItsOwn).toBe(true);
    // Lock, state file, each probe and the HTTP listen take several turns each.
    expect(stopsDuringStart).toBeGreaterThan(5);
    expect(await leakedSince(baseline)).toEqual({});
  });
});
