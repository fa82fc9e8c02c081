/**
 * The network-namespace lab itself (test/netns/netns.ts): hosts reach each other over TCP and
 * mDNS-style multicast, a link cut partitions a host and healing it restores both, and every way
 * out of a test (destroy, a throwing body, SIGTERM, process.exit, SIGKILL + stale sweep) leaves no
 * namespace and no process behind. Needs root; skipped elsewhere (CI runs as root, so it runs there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStaleLabs, collectOutput, createNetnsLab, isProcessAlive, listNetns, netnsAvailable, type Lab, type OutputCollector } from './netns.js';

const available = await netnsAvailable();
// Listener counts before any lab exists: destroy() of the last lab must remove its process handlers.
const baseListeners = { exit: process.listenerCount('exit'), SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
const NODE = process.execPath;
const PORT = 7070;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Tiny programs run with `node -e <script> args...` inside the namespaces (argv[1..] are the args).
const TCP_SERVER = `
const net = require('node:net');
net.createServer((s) => s.end('hello from ' + process.argv[1] + '\\n'))
  .listen(Number(process.argv[2]), '0.0.0.0', () => console.log('listening'));`;

// Connects, prints what the server says; bounded: exits 2 on no answer within argv[3] ms.
const TCP_CLIENT = `
const net = require('node:net');
const [host, port, ms] = process.argv.slice(1);
const timer = setTimeout(() => { console.error('connect timeout'); process.exit(2); }, Number(ms));
let data = '';
const s = net.connect({ host, port: Number(port) });
s.on('data', (d) => { data += d; });
s.on('end', () => { clearTimeout(timer); process.stdout.write(data); });
s.on('error', (e) => { console.error(e.code || e.message); process.exit(1); });`;

// An mDNS-style listener: port 5353 shared (reuseAddr), group 224.0.0.251 joined on eth0's address.
const MCAST_RECEIVER = `
const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (m, r) => console.log(JSON.stringify({ msg: String(m), from: r.address })));
s.bind(5353, () => { s.addMembership('224.0.0.251', process.argv[1]); console.log('ready'); });`;

// Sends one datagram to 224.0.0.251:5353 without pinning an interface: it relies on the lab's
// 224.0.0.0/4 route, exactly like an unpinned mDNS socket.
const MCAST_SENDER = `
const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
s.bind(() => {
  s.setMulticastTTL(255);
  s.send(Buffer.from(process.argv[1]), 5353, '224.0.0.251', (e) => { if (e) { console.error(e.message); process.exitCode = 1; } s.close(); });
});`;

async function tcpGet(lab: Lab, from: string, to: string, timeoutMs = 2_000): Promise<string> {
  return lab.exec(from, [NODE, '-e', TCP_CLIENT, lab.host(to).address, String(PORT), String(timeoutMs)], { timeoutMs: timeoutMs + 10_000 });
}

async function sendMulticast(lab: Lab, from: string, text: string): Promise<void> {
  await lab.exec(from, [NODE, '-e', MCAST_SENDER, text]);
}

const sawDatagram = (nonce: string, from: string) => (line: string) => line.includes(nonce) && line.includes(`"from":"${from}"`);

function gone(pid: number | undefined): boolean {
  return pid !== undefined && !isProcessAlive(pid);
}

describe.skipIf(!available)('network-namespace lab', () => {
  let lab: Lab | undefined;
  const receivers = new Map<string, { child: ChildProcess; out: OutputCollector }>();
  let server: ChildProcess | undefined;

  const theLab = (): Lab => {
    if (!lab) throw new Error('lab not created');
    return lab;
  };
  const rx = (host: string): OutputCollector => {
    const r = receivers.get(host);
    if (!r) throw new Error(`no receiver in ${host}`);
    return r.out;
  };

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['a', 'b', 'c'] });
    const l = lab;
    server = l.spawn('b', [NODE, '-e', TCP_SERVER, 'b', String(PORT)]);
    const serverOut = collectOutput(server);
    for (const h of l.hosts) {
      const child = l.spawn(h.name, [NODE, '-e', MCAST_RECEIVER, h.address]);
      receivers.set(h.name, { child, out: collectOutput(child) });
    }
    await serverOut.waitFor('listening');
    for (const h of l.hosts) await rx(h.name).waitFor('ready');
  }, 60_000);

  // Guard: whatever happened in the tests, the namespaces and processes go away.
  afterAll(async () => {
    await lab?.destroy();
  }, 60_000);

  it('builds one namespace per host plus the bridge, addresses only inside them', async () => {
    const l = theLab();
    expect(l.hosts.map((h) => h.name)).toEqual(['a', 'b', 'c']);
    expect(l.subnet).toMatch(/^10\.77\.\d+\.0\/24$/);
    expect(l.hosts.map((h) => h.address.split('.')[3])).toEqual(['11', '12', '13']);
    const listed = await listNetns();
    for (const ns of l.namespaces) expect(listed).toContain(ns);
    expect(await l.exec('b', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`${l.host('b').address}/24`);
    expect(await l.exec('a', ['ip', 'route', 'show', '224.0.0.0/4'])).toContain('dev eth0');
    // Nothing of the lab leaks into the root namespace.
    const rootAddrs = await new Promise<string>((resolve, reject) => {
      const p = spawn('ip', ['-o', '-4', 'addr', 'show'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      p.on('error', reject);
      p.on('close', () => resolve(out));
    });
    expect(rootAddrs).not.toContain(l.subnet.replace('.0/24', '.'));
  });

  it('host a reaches host b over TCP', async () => {
    expect(await tcpGet(theLab(), 'a', 'b')).toBe('hello from b\n');
    expect(await tcpGet(theLab(), 'c', 'b')).toBe('hello from b\n');
  });

  it('an mDNS-style multicast datagram from a reaches b and c', async () => {
    const l = theLab();
    const nonce = `probe-${randomUUID()}`;
    await sendMulticast(l, 'a', nonce);
    await rx('b').waitFor(sawDatagram(nonce, l.host('a').address), 5_000);
    await rx('c').waitFor(sawDatagram(nonce, l.host('a').address), 5_000);
  });

  it('cutLink(b) partitions b; restoreLink(b) heals TCP and multicast both ways', async () => {
    const l = theLab();
    await l.cutLink('b');
    try {
      // Bounded: the client gives up after 1.5 s (timeout, or EHOSTUNREACH once ARP fails).
      await expect(tcpGet(l, 'a', 'b', 1_500)).rejects.toThrow(/connect timeout|EHOSTUNREACH|ETIMEDOUT|ENETUNREACH/);
      // The datagram still reaches c; b's copy is dropped at the bridge in the same moment, so
      // a short grace after c saw it is enough to show b did not.
      const cutNonce = `cut-${randomUUID()}`;
      await sendMulticast(l, 'a', cutNonce);
      await rx('c').waitFor(cutNonce, 5_000);
      await expect(rx('b').waitFor(cutNonce, 500)).rejects.toThrow(/no line matching/);
    } finally {
      await l.restoreLink('b');
    }
    expect(await tcpGet(l, 'a', 'b', 10_000)).toBe('hello from b\n');
    // b's receiver kept its group membership through the cut.
    const healNonce = `heal-${randomUUID()}`;
    await sendMulticast(l, 'a', healNonce);
    await rx('b').waitFor(sawDatagram(healNonce, l.host('a').address), 5_000);
    // b can send multicast again: its 224.0.0.0/4 route is in place after restoreLink.
    expect(await l.exec('b', ['ip', 'route', 'show', '224.0.0.0/4'])).toContain('dev eth0');
    const fromB = `from-b-${randomUUID()}`;
    await sendMulticast(l, 'b', fromB);
    await rx('a').waitFor(sawDatagram(fromB, l.host('b').address), 5_000);
    await rx('c').waitFor(sawDatagram(fromB, l.host('b').address), 5_000);
  }, 60_000);

  it('destroy() kills the spawned processes and deletes every namespace; twice is harmless', async () => {
    const l = theLab();
    const pids = [server?.pid, ...[...receivers.values()].map((r) => r.child.pid)];
    expect(pids.every((p) => p !== undefined && isProcessAlive(p))).toBe(true);
    await l.destroy();
    await l.destroy();
    const listed = await listNetns();
    for (const ns of l.namespaces) expect(listed).not.toContain(ns);
    expect(pids.every(gone)).toBe(true);
    expect({ exit: process.listenerCount('exit'), SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(baseListeners);
  }, 60_000);
});

describe.skipIf(!available)('network-namespace lab cleanup paths', () => {
  const fixture = path.join(REPO, 'test/netns/fixtures/hold-lab.ts');

  /** Starts the fixture (a process holding a lab it never destroys) and waits for its JSON line. */
  async function holdLab(mode: 'wait' | 'exit', withChild: boolean): Promise<{ proc: ChildProcess; out: OutputCollector; namespaces: string[]; childPid: number | null }> {
    // `node --import tsx`, not the tsx CLI: the CLI forks, and the signal must reach the lab's process.
    const proc = spawn(NODE, ['--import', 'tsx', fixture, mode, ...(withChild ? ['child'] : [])], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collectOutput(proc);
    try {
      const line = await out.waitFor(/^\{/, 30_000);
      const parsed = JSON.parse(line) as { namespaces: string[]; childPid: number | null };
      return { proc, out, ...parsed };
    } catch (err) {
      // SIGTERM so its own handler deletes whatever it had created.
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGTERM');
      throw err;
    }
  }

  function exited(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
    return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  it('destroy runs when a test body throws (try/finally)', async () => {
    let namespaces: readonly string[] = [];
    let pid: number | undefined;
    const body = async (): Promise<void> => {
      const lab = await createNetnsLab({ hosts: ['x'] });
      try {
        namespaces = lab.namespaces;
        pid = lab.spawn('x', [NODE, '-e', 'setTimeout(() => {}, 600_000)'], { stdio: 'ignore' }).pid;
        throw new Error('boom');
      } finally {
        await lab.destroy();
      }
    };
    await expect(body()).rejects.toThrow('boom');
    expect(namespaces.length).toBe(2);
    const listed = await listNetns();
    for (const ns of namespaces) expect(listed).not.toContain(ns);
    expect(gone(pid)).toBe(true);
  }, 60_000);

  it('SIGTERM to the test process still deletes its namespaces and kills its children', async () => {
    const held = await holdLab('wait', true);
    try {
      expect(await listNetns()).toEqual(expect.arrayContaining(held.namespaces));
      if (held.proc.pid !== undefined) process.kill(held.proc.pid, 'SIGTERM');
      // The handler cleans up, then re-raises so the process still dies of SIGTERM.
      expect((await exited(held.proc)).signal).toBe('SIGTERM');
      const listed = await listNetns();
      for (const ns of held.namespaces) expect(listed).not.toContain(ns);
      expect(held.childPid).not.toBeNull();
      if (held.childPid !== null) {
        const deadline = Date.now() + 5_000;
        // The orphan is reaped by init, not by us: wait (bounded) instead of asserting instantly.
        while (!gone(held.childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(gone(held.childPid)).toBe(true);
      }
    } finally {
      if (held.proc.exitCode === null && held.proc.signalCode === null && held.proc.pid !== undefined) process.kill(held.proc.pid, 'SIGKILL');
    }
  }, 60_000);

  it('process.exit() without destroy still deletes the namespaces', async () => {
    const held = await holdLab('exit', false);
    expect((await exited(held.proc)).code).toBe(3);
    const listed = await listNetns();
    for (const ns of held.namespaces) expect(listed).not.toContain(ns);
  }, 60_000);

  it('after a SIGKILL (no handler runs) cleanupStaleLabs() removes the dead run’s namespaces, never a live lab’s', async () => {
    const live = await createNetnsLab({ hosts: ['z'] });
    try {
      const held = await holdLab('wait', false);
      // SIGKILL: the fixture's handlers cannot run, its namespaces stay behind (no process in them).
      if (held.proc.pid !== undefined) process.kill(held.proc.pid, 'SIGKILL');
      await exited(held.proc);
      expect(await listNetns()).toEqual(expect.arrayContaining(held.namespaces));
      const deleted = await cleanupStaleLabs();
      // Not `deleted ⊇ held`: a parallel run's own sweep may have removed them first, which is fine.
      const listed = await listNetns();
      for (const ns of held.namespaces) expect(listed).not.toContain(ns);
      // This process is alive: its lab is untouched.
      expect(listed).toEqual(expect.arrayContaining([...live.namespaces]));
      expect(deleted.some((ns) => live.namespaces.includes(ns))).toBe(false);
    } finally {
      await live.destroy();
    }
  }, 60_000);
});
