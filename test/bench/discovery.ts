/**
 * npm run bench:discovery [-- --rounds 3]
 *
 * In network namespaces (root), with real agents and real mDNS: the time from
 *  - a new agent's start to `up` on a peer,
 *  - a SIGKILL to `down` on the peer,
 *  - a cut link to `down`,
 *  - a graceful stop (SIGTERM) to `down`.
 * Times come from the observer's own log line for the transition (ISO ms timestamps, same clock).
 * Prints figures; asserts nothing. Targets: discovery ≤ 2 s, graceful ≤ 1 s, crash/partition ≤ 5 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLabAgent, type LabAgent } from '../netns/agents.js';
import { createNetnsLab, netnsAvailable } from '../netns/netns.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const KEY = 'bench-discovery-mesh-key-0123456';

if (!(await netnsAvailable())) {
  console.log('bench:discovery needs root and network namespaces (ip netns); skipped');
  process.exit(0);
}

const lab = await createNetnsLab({ hosts: ['obs', 'peer'] });
const baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-disc-'));

/** Waits for the observer's log line `peer <name> is <state>` after `sinceMs`; returns its timestamp. */
async function transitionAt(observer: LabAgent, state: 'up' | 'down', sinceMs: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(`^(\\S+) \\S+\\s+discovery: peer peer is ${state}\\b`, 'gm');
  for (;;) {
    for (const m of observer.output().matchAll(pattern)) {
      const t = Date.parse(m[1] as string);
      if (t >= sinceMs) return t;
    }
    if (Date.now() > deadline) throw new Error(`no "peer is ${state}" within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const results: Record<string, number[]> = { 'start → up': [], 'SIGKILL → down': [], 'cut link → down': [], 'graceful stop → down': [] };
try {
  const observer = await startLabAgent(lab, 'obs', { key: KEY, baseDir });
  for (let round = 0; round < rounds; round++) {
    let t0 = Date.now();
    let peer = await startLabAgent(lab, 'peer', { key: KEY, baseDir });
    results['start → up']?.push((await transitionAt(observer, 'up', t0)) - t0);

    t0 = Date.now();
    peer.child.kill('SIGKILL');
    results['SIGKILL → down']?.push((await transitionAt(observer, 'down', t0)) - t0);
    await peer.exited;

    peer = await startLabAgent(lab, 'peer', { key: KEY, baseDir });
    await transitionAt(observer, 'up', Date.now() - 5000);
    await new Promise((r) => setTimeout(r, 1500));
    t0 = Date.now();
    await lab.cutLink('peer');
    results['cut link → down']?.push((await transitionAt(observer, 'down', t0)) - t0);
    await lab.restoreLink('peer');
    const restored = Date.now();
    await transitionAt(observer, 'up', restored);

    await new Promise((r) => setTimeout(r, 1500));
    t0 = Date.now();
    peer.child.kill('SIGTERM');
    results['graceful stop → down']?.push((await transitionAt(observer, 'down', t0)) - t0);
    await peer.exited;
  }
  const targets: Record<string, string> = { 'start → up': '≤ 2000', 'SIGKILL → down': '≤ 5000', 'cut link → down': '≤ 5000', 'graceful stop → down': '≤ 1000' };
  console.log(`bench:discovery — 2 hosts in network namespaces, real mDNS, default health settings (1 s checks, 1 s timeout, down after 3 s), ${rounds} rounds`);
  for (const [what, samples] of Object.entries(results)) {
    const sorted = [...samples].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    console.log(`  ${what.padEnd(22)} median ${String(median).padStart(5)} ms   max ${String(sorted.at(-1)).padStart(5)} ms   (target ${targets[what]} ms)   samples ${samples.join(', ')}`);
  }
} finally {
  await lab.destroy();
  await rm(baseDir, { recursive: true, force: true });
}
