/**
 * Three real agents on three hosts (network namespaces on one bridge), real mDNS between them:
 * a and b share a mesh key, c has another. They find each other, never c; SIGKILL or a cut link
 * makes the peer down; a restart or a restored link brings it back. Needs root (CI runs as root).
 * Namespaces are deleted in afterAll, also when a test fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNodes, startLabAgent, stateOf, waitUntil, type LabAgent } from './agents.js';
import { createNetnsLab, netnsAvailable, type Lab } from './netns.js';

const available = await netnsAvailable();
const KEY = 'netns-test-mesh-key-0123456789ab';
const OTHER_KEY = 'netns-other-mesh-key-0123456789';
/** Generous bounds: these are not timing assertions (bench:discovery measures the times). */
const WAIT_MS = 20_000;

describe.skipIf(!available)('discovery across hosts (netns)', () => {
  let lab: Lab;
  let baseDir: string;
  const agents = new Map<string, LabAgent>();

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['a', 'b', 'c'] });
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-netns-'));
    for (const [host, key] of [['a', KEY], ['b', KEY], ['c', OTHER_KEY]] as const) agents.set(host, await startLabAgent(lab, host, { key, baseDir }));
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it('a and b find each other over mDNS; neither lists c; c lists only itself', async () => {
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'up', WAIT_MS, 'a to see b');
    await waitUntil(async () => (await stateOf(lab, 'b', 'a')) === 'up', WAIT_MS, 'b to see a');
    const seenByA = await labNodes(lab, 'a');
    const b = seenByA.find((n) => n.name === 'b');
    expect(b?.sources).toEqual(['mdns']);
    expect(b?.activeUrl).toBe(`http://${lab.host('b').address}:7650`);
    expect(b?.macs.length).toBeGreaterThan(0);
    expect(seenByA.map((n) => n.name).sort()).toEqual(['a', 'b']);
    expect((await labNodes(lab, 'b')).map((n) => n.name).sort()).toEqual(['a', 'b']);
    expect((await labNodes(lab, 'c')).map((n) => n.name)).toEqual(['c']);
    expect(agents.get('a')?.output()).toMatch(/ignoring an mDNS advert.*another mesh/);
  });

  it('SIGKILL of b → a marks it down; restarting b → up again, same node', async () => {
    const before = (await labNodes(lab, 'a')).find((n) => n.name === 'b');
    agents.get('b')?.child.kill('SIGKILL');
    await agents.get('b')?.exited;
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'down', WAIT_MS, 'a to mark b down');
    agents.set('b', await startLabAgent(lab, 'b', { key: KEY, baseDir }));
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'up', WAIT_MS, 'a to see b again');
    const after = (await labNodes(lab, 'a')).filter((n) => n.name === 'b');
    expect(after).toHaveLength(1);
    expect(after[0]?.nodeId).toBe(before?.nodeId);
  });

  it('cutting b off → a marks it down (suspect first); restoring the link → up again', async () => {
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'up', WAIT_MS, 'b up before the cut');
    await lab.cutLink('b');
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'down', WAIT_MS, 'a to mark b down after the cut');
    const down = (await labNodes(lab, 'a')).find((n) => n.name === 'b');
    expect(down?.paths[0]?.lastError).toMatch(/no answer within|unreachable/);
    await lab.restoreLink('b');
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'up', WAIT_MS, 'a to see b after the link is back');
    await waitUntil(async () => (await stateOf(lab, 'b', 'a')) === 'up', WAIT_MS, 'b to see a after the link is back');
  });

  it('a graceful stop of b (SIGTERM) → a marks it down; a keeps b (with its MACs) across its own restart', async () => {
    agents.get('b')?.child.kill('SIGTERM');
    await agents.get('b')?.exited;
    await waitUntil(async () => (await stateOf(lab, 'a', 'b')) === 'down', WAIT_MS, 'a to mark b down after a graceful stop');
    agents.get('a')?.child.kill('SIGTERM');
    await agents.get('a')?.exited;
    agents.set('a', await startLabAgent(lab, 'a', { key: KEY, baseDir }));
    const remembered = (await labNodes(lab, 'a')).find((n) => n.name === 'b');
    expect(remembered?.state).toBe('down');
    expect(remembered?.macs.length).toBeGreaterThan(0);
  });
});
