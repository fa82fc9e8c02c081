/**
 * npm run bench:footprint [-- --duration-sec 60] [--node-flags='--max-semi-space-size=4 …'] [--main FILE]
 *
 * RSS and CPU of an idle agent with every probe running on its default interval, against a fake
 * Ollama and a fake Immich ML on loopback (so the service probes do real HTTP work). Linux only:
 * reads /proc. Measures the built agent that `npm start` runs. Prints figures; asserts nothing (targets: RSS ≤ 70 MB, CPU ≤ 1 % of one core).
 * `--node-flags` (with =: the value starts with a dash) replaces the node flags of `npm start`, to
 * compare settings such as the young generation's size (issue 14). `--main FILE` runs another build's
 * entry (an older dist/ kept aside), for before/after figures.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFakeImmichMl } from '../fakes/fake-immich-ml.js';
import { createFakeOllama } from '../fakes/fake-ollama.js';
import { fileURLToPath } from 'node:url';
import { cleanEnv, freePort } from '../helpers/cli.js';

/** The built agent with the node flags of `npm start` (read from package.json, so they cannot drift). */
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
const START_FLAGS = /^node ((?:--\S+ )*)dist\/agent\/main\.c?js/.exec(pkg.scripts.start)?.[1]?.trim().split(' ').filter(Boolean) ?? [];

const { values } = parseArgs({ options: { 'duration-sec': { type: 'string', default: '60' }, 'node-flags': { type: 'string' }, main: { type: 'string' } } });
const DIST_MAIN = values.main ? path.resolve(values.main) : fileURLToPath(new URL('../../dist/agent/main.cjs', import.meta.url));
const NODE_FLAGS = values['node-flags']?.split(' ').filter(Boolean) ?? START_FLAGS;
const durationSec = Number(values['duration-sec']);
const TICKS_PER_SEC = 100; // USER_HZ on Linux

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime (fields 14–17): children that exited (e.g. nvidia-smi) count too.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** The agent and its live descendants (tsx's esbuild service, if any). */
async function tree(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const result = [root];
  for (let i = 0; i < result.length; i++) for (const [pid, ppid] of parents) if (ppid === result[i]) result.push(pid);
  return result;
}

const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }, { name: 'qwen2.5:7b' }] });
const immich = createFakeImmichMl({});
await ollama.start();
await immich.start();
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-'));
const port = await freePort();
const child = spawn(process.execPath, [...NODE_FLAGS, DIST_MAIN, 'start', '--data-dir', dataDir, '--port', String(port), '--mdns-interface', '127.0.0.1'], {
  env: cleanEnv({ OLLAMA_HOST: ollama.url, IMMICH_MACHINE_LEARNING_URL: immich.url}),
  stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
child.stderr.on('data', (d: Buffer) => (log += d.toString()));
try {
  for (let i = 0; i < 200 && !log.includes('agent ready'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!log.includes('agent ready')) throw new Error(`agent did not start:\n${log}`);
  const pid = child.pid as number;
  // Let start-up work (module loading, first probes) settle before measuring "idle".
  await new Promise((r) => setTimeout(r, 5000));

  const pids0 = await tree(pid);
  let ticks0 = 0;
  for (const p of pids0) ticks0 += await cpuTicks(p).catch(() => 0);
  const t0 = performance.now();
  const rssSamples: number[] = [];
  for (let s = 0; s < durationSec; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    let rss = 0;
    for (const p of await tree(pid)) rss += await rssKb(p).catch(() => 0);
    rssSamples.push(rss / 1024);
  }
  const pids1 = await tree(pid);
  let ticks1 = 0;
  for (const p of pids1) ticks1 += await cpuTicks(p).catch(() => 0);
  const elapsedSec = (performance.now() - t0) / 1000;
  const cpuPct = ((ticks1 - ticks0) / TICKS_PER_SEC / elapsedSec) * 100;
  const avg = rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length;
  const ollamaCalls = ollama.calls.length;
  console.log(`bench:footprint — idle built agent (node ${NODE_FLAGS.join(' ')}), ${durationSec} s, probes on default intervals, processes: ${pids1.length}`);
  console.log(`  RSS  avg ${avg.toFixed(1)} MB, max ${Math.max(...rssSamples).toFixed(1)} MB (target ≤ 70 MB)`);
  console.log(`  CPU  avg ${cpuPct.toFixed(2)} % of one core (target ≤ 1 %)`);
  console.log(`  requests the probes made to the fake Ollama: ${ollamaCalls}`);
} finally {
  // An agent that already died (a node flag it refused) has no 'exit' left to wait for.
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await ollama.stop();
  await immich.stop();
  await rm(dataDir, { recursive: true, force: true });
}
