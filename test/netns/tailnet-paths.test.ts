/**
 * One node, two paths (issue 3 §2): host b is reachable on its LAN address (found over mDNS) and on
 * a second address that the tailnet reports. Tailscale cannot be installed here, so agent a runs a
 * fake `tailscale` CLI (a script on its PATH printing `tailscale status --json` exactly as
 * PROTOCOLS.md §4.3 shapes it) that lists b at that second address. The registry keeps one node,
 * prefers the LAN path, switches to the tailnet path when the LAN address goes away, and back.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeTailscaleStatus, goJsonIndent } from '../fakes/fake-tailscale.js';
import { labNodes, startLabAgent, waitUntil } from './agents.js';
import { createNetnsLab, netnsAvailable, type Lab } from './netns.js';

const available = await netnsAvailable();
const KEY = 'netns-tailnet-mesh-key-012345678';
const WAIT_MS = 20_000;

describe.skipIf(!available)('LAN and tailnet paths to one node (netns)', () => {
  let lab: Lab;
  let baseDir: string;
  let lanAddress: string;
  let tailnetAddress: string;

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['a', 'b'] });
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-tailnet-'));
    lanAddress = lab.host('b').address;
    tailnetAddress = lanAddress.replace(/\.(\d+)$/, (_m, last: string) => `.${Number(last) + 100}`);
    // Keep the second address when the primary one is deleted (Linux drops secondaries otherwise).
    await lab.exec('b', ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.promote_secondaries=1']);
    await lab.exec('b', ['ip', 'addr', 'add', `${tailnetAddress}/24`, 'dev', 'eth0']);

    const bin = path.join(baseDir, 'bin');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(bin);
    const statusFile = path.join(baseDir, 'status.json');
    await writeFile(statusFile, goJsonIndent(fakeTailscaleStatus({ self: { hostName: 'a' }, peers: [{ hostName: 'b', ipv4: tailnetAddress }] }), '  '));
    await writeFile(path.join(bin, 'tailscale'), `#!/bin/sh\n[ "$1 $2" = "status --json" ] || { echo "unexpected: $*" >&2; exit 2; }\ncat '${statusFile}'\n`);
    await chmod(path.join(bin, 'tailscale'), 0o755);

    await startLabAgent(lab, 'b', { key: KEY, baseDir });
    await startLabAgent(lab, 'a', {
      key: KEY,
      baseDir,
      config: { discovery: { tailnet: { enabled: true, intervalSec: 5 } } },
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  const b = async () => (await labNodes(lab, 'a')).find((n) => n.name === 'b');

  it('lists b once, with both paths, and prefers the LAN one', async () => {
    await waitUntil(async () => (await b())?.sources.length === 2, WAIT_MS, 'a to know b over mDNS and the tailnet');
    const node = await b();
    expect(node?.sources).toEqual(['mdns', 'tailnet']);
    expect(node?.state).toBe('up');
    expect(node?.activeUrl).toBe(`http://${lanAddress}:7650`);
    expect((await labNodes(lab, 'a')).filter((n) => n.name === 'b')).toHaveLength(1);
  });

  it('switches to the tailnet path when the LAN address fails, and back when it returns', async () => {
    await lab.exec('b', ['ip', 'addr', 'del', `${lanAddress}/24`, 'dev', 'eth0']);
    await waitUntil(async () => (await b())?.activeUrl === `http://${tailnetAddress}:7650`, WAIT_MS, 'the switch to the tailnet path');
    expect((await b())?.state).toBe('up');
    await lab.exec('b', ['ip', 'addr', 'add', `${lanAddress}/24`, 'dev', 'eth0']);
    await waitUntil(async () => (await b())?.activeUrl === `http://${lanAddress}:7650`, WAIT_MS, 'the switch back to the LAN path');
    expect((await b())?.state).toBe('up');
  });
});
