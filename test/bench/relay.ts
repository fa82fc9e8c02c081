/**
 * npm run bench:relay
 *
 * What the peer relay of issue 10 costs, across hosts: two lab hosts in network namespaces (root;
 * test/netns/netns.ts), real mDNS between them, the built agent that `npm start` runs on each, and
 * on each a fake Ollama streaming with no delay between tokens (test/bench/proxy-backend.ts) bound
 * to 127.0.0.1 of its host:
 *
 *   hub: the agent; its own Ollama (the fallback);
 *   pc:  the agent, a (fake) NVIDIA GPU so it is elected; its Ollama on loopback, and for the direct
 *        baseline only, the same fake also reachable on the PC's lab address.
 *
 * A client on the hub host (test/bench/relay-client.ts) measures, in interleaved rounds:
 * - added time to first byte, one stream at a time: relay (hub agent → PC agent → PC Ollama)
 *   against hub-direct (the hub agent → PC Ollama, the PC's service in direct mode, issue 10 §6: a
 *   second pair of agents in the same hosts with another key and port; the issue's baseline) and
 *   direct (the client straight to the PC's Ollama, no agent at all), and the PC agent alone (signed relay request straight to it)
 *   to show which hop the time goes to, and two node:http pipes chained the same way (hub → PC → PC
 *   Ollama, test/bench/pipe-proxy.ts), the floor of any two-hop Node relay, and the PC's pipe alone
 *   (the floor of the one hop the relay adds, beside pc-agent); target: relay − hub-direct
 *   ≤ 1 ms p50; and the CPU each agent spends per
 *   request in that phase (/proc, their idle background measured first and subtracted), which does
 *   not depend on how busy the shared cores are, unlike the latencies;
 * - stream throughput of one long stream, % of direct; target ≥ 95 %;
 * - failover: workers send non-streaming requests through the hub; the PC's agent is SIGKILLed
 *   under load; failed requests (target 0: before the first byte they go to the hub's own Ollama).
 * `--cpu-prof-dir DIR` writes V8 CPU profiles of both agents there (node --cpu-prof; read them with
 * test/bench/cpu-profile-summary.ts) of the one-stream-at-a-time phase: throughput and failover are
 * skipped, and the agents are stopped with SIGTERM so they can write them. `--node-flags='…'` runs
 * both agents with other node flags than `npm start`'s (e.g. another young-generation size).
 * Prints figures; asserts nothing (DESIGN.md §7). Everything stays inside the lab's namespaces, which
 * are deleted at the end, also on failure. Bounded by a watchdog.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { NodeRecord } from '../../discovery/types.js';
import type { Placement } from '../../scheduler/placement-view.js';
import { collectOutput, createNetnsLab, netnsAvailable, type Lab, type OutputCollector } from '../netns/netns.js';
import type { FailoverAnswer, RelayClientOptions, RelayClientResult } from './relay-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../dist/agent/main.cjs', import.meta.url));
const BACKEND = fileURLToPath(new URL('./proxy-backend.ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./relay-client.ts', import.meta.url));
const PIPE = fileURLToPath(new URL('./pipe-proxy.ts', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };

const { values: flags } = parseArgs({ options: { 'cpu-prof-dir': { type: 'string' }, 'node-flags': { type: 'string' }, 'agent-b-main': { type: 'string' } } });
/**
 * `--agent-b-main PATH/dist/agent/main.js`: a third mesh (hub and PC agents of another build, relay
 * mode) and a `relay-b` side, so a code change is compared with its base in the same rounds: on a
 * shared machine, separate runs differ by more than the change. Read it against an A/A run (B = a
 * copy of this build): the relay side's PC agent also serves the pc-agent side, so it is warmer, and
 * two A/A runs put relay 0.43 and 0.49 ms ahead of relay-b with the same build.
 */
const AGENT_B_MAIN = flags['agent-b-main'];
const CPU_PROF_DIR = flags['cpu-prof-dir'];
/** The node flags of `npm start`, read from package.json so they cannot drift; `--node-flags='…'` (with =) tries others. */
const NODE_FLAGS = flags['node-flags']?.split(' ').filter(Boolean) ?? /^node ((?:--\S+ )*)dist\/agent\/main\.c?js/.exec(pkg.scripts.start)?.[1]?.trim().split(' ').filter(Boolean) ?? [];

const KEY = 'bench-relay-mesh-key-0123456789ab';
/**
 * The second mesh of the `hub-direct` side (issue 10's baseline: the hub agent routing to the PC's
 * Ollama in direct mode, `services.ollama.direct`): two more agents on the same two hosts, on another
 * port and with another key, so the meshes ignore each other; the PC's one advertises its Ollama for
 * direct connection, and its hub calls the same PC fake at the PC's lab address.
 */
const KEY2 = 'bench-relay-direct-mesh-key-01234';
const AGENT2_PORT = 7660;
/** The mesh of `--agent-b-main`. */
const KEY3 = 'bench-relay-agent-b-mesh-key-0123';
const AGENT3_PORT = 7670;
const MODEL = 'bench:1b';
const PC_NAME = 'gaming-pc';
const AGENT_PORT = 7650;
/** The two node pipes of the `pipes` side (the floor of a two-hop Node relay): on the PC, then on the hub. */
const PC_PIPE_PORT = 7651;
const HUB_PIPE_PORT = 7652;
const OLLAMA_PORT = 11434;
const LONG_TOKENS = 60_000;
const SHORT_TOKENS = 9;
const SEQUENTIAL = 300;
const THROUGHPUT_REPS = 3;
const FAILOVER_WORKERS = 20;
const FAILOVER_MS = 5000;
const KILL_AT_MS = 1500;
/** How long the agents' background CPU is measured before any request. */
const IDLE_MS = 3000;
const WATCHDOG_MS = 170_000;
const FAKE_NVIDIA_SMI = '#!/bin/sh\necho "NVIDIA GeForce RTX 4080, 00000000:01:00.0, 16376, 1200, 3"\n';
const GET_SCRIPT = `fetch(process.argv[1]).then(async (r) => process.stdout.write(await r.text())).catch((e) => { console.error(String(e)); process.exit(1); });`;

if (!(await netnsAvailable())) {
  console.log('bench:relay needs root and network namespaces (ip netns); skipped');
  process.exit(0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, log: () => string = () => ''): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${log()}`);
    await sleep(250);
  }
}

interface Agent {
  child: ChildProcess;
  output: () => string;
}

/** The built agent (as `npm start` runs it) on a lab host, mDNS pinned to the host's lab address. */
async function startAgent(lab: Lab, host: string, name: string, baseDir: string, env: NodeJS.ProcessEnv, o: { dir?: string; port?: number; key?: string; direct?: boolean; main?: string } = {}): Promise<Agent> {
  const dir = path.join(baseDir, o.dir ?? host);
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, 'agent.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      node: { name },
      services: { ollama: { enabled: true, url: `http://127.0.0.1:${OLLAMA_PORT}`, direct: o.direct ?? false }, 'immich-ml': { enabled: false } },
      probes: { servicesIntervalSec: 1 },
      wakeOnLan: { enabled: false },
      discovery: { tailnet: { enabled: false } },
    }),
  );
  const profile = CPU_PROF_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF_DIR, o.dir ?? host)}`];
  const args = [...profile, ...NODE_FLAGS, o.main ?? DIST_MAIN, 'start', '--config', configFile, '--data-dir', path.join(dir, 'data'), '--port', String(o.port ?? AGENT_PORT), '--key', o.key ?? KEY, '--mdns-interface', lab.host(host).address];
  const child = lab.spawn(host, [process.execPath, ...args], { env: { OLLAMA_HOST: '', IMMICH_MACHINE_LEARNING_URL: '', ...env } });
  let output = '';
  const keep = (d: Buffer): void => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitFor(`the agent on ${host} to be ready`, () => Promise.resolve(output.includes('agent ready') ? true : undefined), 30_000, () => output);
  return { child, output: () => output };
}

async function startBackend(lab: Lab, host: string, alsoListen?: string): Promise<ChildProcess> {
  const args = ['--import', 'tsx', BACKEND, '--port', String(OLLAMA_PORT), '--models', MODEL, '--response-tokens', String(LONG_TOKENS)];
  const child = lab.spawn(host, [process.execPath, ...args, ...(alsoListen ? ['--also-listen', alsoListen] : [])], { cwd: ROOT });
  await collectOutput(child).waitFor(`http://127.0.0.1:${OLLAMA_PORT}`, 30_000);
  return child;
}

/** utime + stime of a process in ms (/proc/<pid>/stat; the lab shares the PID namespace). */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000; // USER_HZ = 100
}

const getJson = async <T>(lab: Lab, host: string, url: string): Promise<T> => JSON.parse(await lab.exec(host, [process.execPath, '-e', GET_SCRIPT, url], { timeoutMs: 15_000 })) as T;

const ms = (v: number): string => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)} ms`);
const signedMs = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ms`;

let lab: Lab | undefined;
const watchdog = setTimeout(() => {
  process.stderr.write(`bench:relay: still running after ${WATCHDOG_MS / 1000} s; deleting the lab\n`);
  void (lab?.destroy() ?? Promise.resolve()).finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

const runStarted = performance.now();
const baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-relay-'));
try {
  lab = await createNetnsLab({ hosts: ['hub', 'pc'] });
  const l = lab;
  const binDir = path.join(baseDir, 'bin');
  await mkdir(binDir, { recursive: true });
  await writeFile(path.join(binDir, 'nvidia-smi'), FAKE_NVIDIA_SMI);
  await chmod(path.join(binDir, 'nvidia-smi'), 0o755);
  const pcAddr = l.host('pc').address;

  const [, pcBackend] = await Promise.all([startBackend(l, 'hub'), startBackend(l, 'pc', `${pcAddr}:${OLLAMA_PORT}`)]);
  const startPipe = async (host: string, args: string[]): Promise<ChildProcess> => {
    const child = l.spawn(host, [process.execPath, '--import', 'tsx', PIPE, ...args], { cwd: ROOT });
    await collectOutput(child).waitFor('http://', 30_000);
    return child;
  };
  const pcPipe = await startPipe('pc', [String(OLLAMA_PORT), '127.0.0.1', pcAddr, String(PC_PIPE_PORT)]);
  const hubPipe = await startPipe('hub', [String(PC_PIPE_PORT), pcAddr, '127.0.0.1', String(HUB_PIPE_PORT)]);
  const pc = await startAgent(l, 'pc', PC_NAME, baseDir, { PATH: `${binDir}${path.delimiter}${process.env['PATH'] ?? '/usr/bin:/bin'}` });
  const hub = await startAgent(l, 'hub', 'hub', baseDir, {});
  const pcEnv = { PATH: `${binDir}${path.delimiter}${process.env['PATH'] ?? '/usr/bin:/bin'}` };
  const pc2 = await startAgent(l, 'pc', PC_NAME, baseDir, pcEnv, { dir: 'pc2', port: AGENT2_PORT, key: KEY2, direct: true });
  const hub2 = await startAgent(l, 'hub', 'hub', baseDir, {}, { dir: 'hub2', port: AGENT2_PORT, key: KEY2 });
  const hubApi = `http://127.0.0.1:${AGENT_PORT}/api/v1`;
  const electedPc = (api: string, a: Agent): Promise<true> =>
    waitFor(
      `the hub (${api}) to elect ${PC_NAME} for Ollama with itself eligible`,
      async () => {
        const p = await getJson<Placement>(l, 'hub', `${api}/placement`);
        const k = p.kinds.ollama;
        const elected = k.candidates.find((c) => c.nodeId === k.elected)?.name;
        return elected === PC_NAME && k.candidates.some((c) => c.name === 'hub' && c.eligible) ? true : undefined;
      },
      30_000,
      () => a.output(),
    );
  const [pc3, hub3] =
    AGENT_B_MAIN === undefined
      ? [undefined, undefined]
      : [
          await startAgent(l, 'pc', PC_NAME, baseDir, pcEnv, { dir: 'pc3', port: AGENT3_PORT, key: KEY3, main: AGENT_B_MAIN }),
          await startAgent(l, 'hub', 'hub', baseDir, {}, { dir: 'hub3', port: AGENT3_PORT, key: KEY3, main: AGENT_B_MAIN }),
        ];
  await Promise.all([
    electedPc(hubApi, hub),
    electedPc(`http://127.0.0.1:${AGENT2_PORT}/api/v1`, hub2),
    ...(hub3 ? [electedPc(`http://127.0.0.1:${AGENT3_PORT}/api/v1`, hub3)] : []),
  ]);
  const nodes = (await getJson<{ nodes: NodeRecord[] }>(l, 'hub', `${hubApi}/nodes`)).nodes;
  const options: RelayClientOptions = {
    model: MODEL,
    direct: { host: pcAddr, port: OLLAMA_PORT },
    hub: { host: '127.0.0.1', port: AGENT_PORT },
    hubDirect: { host: '127.0.0.1', port: AGENT2_PORT },
    ...(hub3 ? { relayB: { host: '127.0.0.1', port: AGENT3_PORT } } : {}),
    pipes: { host: '127.0.0.1', port: HUB_PIPE_PORT },
    pcPipe: { host: pcAddr, port: PC_PIPE_PORT },
    pcAgent: { host: pcAddr, port: AGENT_PORT, key: KEY, hubId: nodes.find((n) => n.name === 'hub')?.nodeId ?? '', pcId: nodes.find((n) => n.name === PC_NAME)?.nodeId ?? '' },
    sequential: SEQUENTIAL,
    throughputReps: CPU_PROF_DIR === undefined ? THROUGHPUT_REPS : 0,
    longTokens: LONG_TOKENS,
    shortTokens: SHORT_TOKENS,
    failoverWorkers: FAILOVER_WORKERS,
    failoverMs: CPU_PROF_DIR === undefined ? FAILOVER_MS : 0,
    requestTimeoutMs: 15_000,
  };
  // The agents' own background work (probes, health checks, mDNS) while no request is routed, so the
  // CPU spent per request below can be told apart from it.
  const idlePids = { hubAgent: hub.child.pid, pcAgent: pc.child.pid, hub2Agent: hub2.child.pid };
  const idleT0 = performance.now();
  const idleBefore = await Promise.all(Object.values(idlePids).map((pid) => cpuMs(pid)));
  await sleep(IDLE_MS);
  const idleAfter = await Promise.all(Object.values(idlePids).map((pid) => cpuMs(pid)));
  const idleSec = (performance.now() - idleT0) / 1000;
  const idleRate = { hubAgent: ((idleAfter[0] ?? NaN) - (idleBefore[0] ?? NaN)) / idleSec, pcAgent: ((idleAfter[1] ?? NaN) - (idleBefore[1] ?? NaN)) / idleSec, hub2Agent: ((idleAfter[2] ?? NaN) - (idleBefore[2] ?? NaN)) / idleSec };

  const client = l.spawn('hub', [process.execPath, '--import', 'tsx', CLIENT, JSON.stringify(options)], { cwd: ROOT });
  const out: OutputCollector = collectOutput(client);
  const watched = { hubAgent: hub.child.pid, pcAgent: pc.child.pid, hub2Agent: hub2.child.pid, pcOllama: pcBackend.pid, client: client.pid, hubPipe: hubPipe.pid, pcPipe: pcPipe.pid };
  const cpuNow = async (): Promise<Record<keyof typeof watched, number>> =>
    Object.fromEntries(await Promise.all(Object.entries(watched).map(async ([k, pid]) => [k, await cpuMs(pid)] as const))) as Record<keyof typeof watched, number>;
  await out.waitFor('"ttfb-start"', 120_000);
  const cpuBefore = await cpuNow();
  const ttfbT0 = performance.now();
  await out.waitFor('"ttfb-end"', 120_000);
  const cpuAfter = await cpuNow();
  const ttfbWallMs = performance.now() - ttfbT0;
  await out.waitFor('"tput-start"', 120_000);
  const tputBefore = await cpuNow();
  await out.waitFor('"tput-end"', 120_000);
  const tputAfter = await cpuNow();
  await out.waitFor('"failoverStart"', 120_000);
  let killWallMs = Date.now();
  if (CPU_PROF_DIR === undefined) {
    await sleep(KILL_AT_MS);
    killWallMs = Date.now();
    pc.child.kill('SIGKILL');
  }
  const result = JSON.parse(await out.waitFor('"servedBy"', 60_000)) as RelayClientResult;
  if (CPU_PROF_DIR !== undefined) {
    // A profile is written when the process exits normally: the agent's SIGTERM handler stops it.
    await Promise.all([hub, pc, hub2, pc2, ...(hub3 && pc3 ? [hub3, pc3] : [])].map((a) => new Promise<void>((resolve) => {
      a.child.once('exit', () => resolve());
      a.child.kill('SIGTERM');
    })));
  }

  // ---- report
  const labels = ['direct', 'hub-direct', 'pc-agent', 'relay', ...(hub3 ? (['relay-b'] as const) : []), 'pipes', 'pc-pipe'] as const;
  if (hub3) console.log(`relay-b = the relay side through a third mesh of agent B (${AGENT_B_MAIN ?? ''}); relay = this build`);
  console.log(`bench:relay — 2 hosts in network namespaces (veth + bridge), real mDNS, the built agent (node${NODE_FLAGS.length ? ` ${NODE_FLAGS.join(' ')}` : ''}) on each, fake Ollamas with no delay between tokens; ${os.availableParallelism()} cores shared by everything`);
  console.log(`  client on the hub host. direct = client → PC Ollama (lab address), no agent; hub-direct = hub agent /ollama/ → PC Ollama (lab address; a second mesh whose PC agent advertises it in direct mode, issue 10 §6); pc-agent = hub → PC agent's relay route (signed) → PC Ollama (loopback); relay = hub agent /ollama/ → PC agent → PC Ollama; pipes = hub node pipe → PC node pipe → PC Ollama (test/bench/pipe-proxy.ts, default node flags: the floor of a two-hop Node relay); pc-pipe = PC node pipe alone → PC Ollama (the floor of the one hop the relay adds)`);
  console.log(`  served by: ${labels.map((s) => `${s} ${result.servedBy[s] ?? '(the fake: no header)'}`).join(', ')}`);
  console.log('');
  console.log(`  TTFB, 1 stream at a time (${SHORT_TOKENS}-token streamed POST /api/generate, n=${SEQUENTIAL} per side, interleaved)`);
  const direct = result.ttfbMs['direct'] ?? [];
  for (const q of [50, 99] as const) {
    const d = percentile(direct, q);
    const cells = labels.map((s) => {
      const v = percentile(result.ttfbMs[s] ?? [], q);
      return s === 'direct' ? `direct ${ms(v)}` : `${s} ${ms(v)} (${signedMs(v - d)})`;
    });
    const overPipes = percentile(result.ttfbMs['relay'] ?? [], q) - percentile(result.ttfbMs['pipes'] ?? [], q);
    console.log(`    p${q}: ${cells.join('   ')}; relay over pipes ${signedMs(overPipes)}`);
    // Issue 10's figure: what the relay adds over the hub agent calling the PC's Ollama in direct mode.
    const overHubDirect = percentile(result.ttfbMs['relay'] ?? [], q) - percentile(result.ttfbMs['hub-direct'] ?? [], q);
    console.log(`         relay − hub-direct ${signedMs(overHubDirect)}${q === 50 ? '   target (issue 10): ≤ 1 ms p50' : ''}${hub3 ? `; relay-b − hub-direct ${signedMs(percentile(result.ttfbMs['relay-b'] ?? [], q) - percentile(result.ttfbMs['hub-direct'] ?? [], q))}` : ''}`);
    // The same hop with nothing checked or signed: what any Node relay on the PC adds here.
    const hop = (s: string): string => signedMs(percentile(result.ttfbMs[s] ?? [], q) - percentile(direct, q));
    console.log(`         one hop on the PC, client → hop → PC Ollama, over direct: the PC agent ${hop('pc-agent')}, a plain node:http pipe ${hop('pc-pipe')} (the floor)`);
  }
  // Where the time goes, independent of how busy the shared cores are: CPU spent per request. The hub
  // agent serves only the relay side; the PC agent the pc-agent and relay sides; the PC pipe the pipes
  // and pc-pipe sides; the fake and the client all of them.
  const phaseSec = ttfbWallMs / 1000;
  const spent = (k: keyof typeof watched): number => (cpuAfter[k] ?? NaN) - (cpuBefore[k] ?? NaN);
  const perRequest = (k: keyof typeof watched, requests: number, idleMsPerSec = 0): string => `${((spent(k) - idleMsPerSec * phaseSec) / requests).toFixed(2)} ms`;
  console.log(
    `    CPU per request over the phase (${phaseSec.toFixed(1)} s; /proc, 10 ms ticks): hub agent ${perRequest('hubAgent', SEQUENTIAL, idleRate.hubAgent)}, hub-direct's hub agent ${perRequest('hub2Agent', SEQUENTIAL, idleRate.hub2Agent)}, PC agent ${perRequest('pcAgent', 2 * SEQUENTIAL, idleRate.pcAgent)}, PC Ollama fake ${perRequest('pcOllama', labels.length * SEQUENTIAL)}, client ${perRequest('client', labels.length * SEQUENTIAL)}; the floor: hub pipe ${perRequest('hubPipe', SEQUENTIAL)}, PC pipe ${perRequest('pcPipe', 2 * SEQUENTIAL)}`,
  );
  console.log(
    `      agents' background CPU subtracted (measured ${IDLE_MS / 1000} s with no request before the run): hub agent ${idleRate.hubAgent.toFixed(0)} ms/s, PC agent ${idleRate.pcAgent.toFixed(0)} ms/s; in the phase they spent ${spent('hubAgent').toFixed(0)} / ${spent('pcAgent').toFixed(0)} ms in all`,
  );
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`    load average now (shared machine): ${load}`);
  console.log('');
  const mb = (s: string): number => percentile((result.throughput[s] ?? []).map((x) => x.mbps), 50);
  const lines = (s: string): number => percentile((result.throughput[s] ?? []).map((x) => x.linesPerSec), 50);
  console.log(`  stream throughput, one ${LONG_TOKENS.toLocaleString('en')}-token stream (median of ${THROUGHPUT_REPS}, first byte → end)`);
  const perChunk = (s: string): number => percentile((result.throughput[s] ?? []).map((x) => x.bytesPerChunk), 50);
  for (const s of labels) {
    console.log(`    ${s.padEnd(8)} ${mb(s).toFixed(1)} MB/s, ${Math.round(lines(s)).toLocaleString('en')} lines/s, ${Math.round(perChunk(s)).toLocaleString('en')} bytes per read${s === 'direct' ? '' : ` = ${((mb(s) / mb('direct')) * 100).toFixed(1)} % of direct`}${s === 'relay' ? ' (target ≥ 95 %)' : ''}`);
  }
  // CPU per MB streamed, independent of how busy the shared cores are: the hub agent passes on the
  // relay side's bytes, the PC agent the pc-agent and relay sides', the fake and client all four.
  const tputMb = (s: string): number => (result.throughput[s] ?? []).reduce((sum, x) => sum + x.bytes / 1e6, 0);
  const tputSpent = (k: keyof typeof watched): number => (tputAfter[k] ?? NaN) - (tputBefore[k] ?? NaN);
  const perMb = (k: keyof typeof watched, mbs: number): string => `${(tputSpent(k) / mbs).toFixed(0)} ms/MB`;
  const allMb = labels.reduce((sum, s) => sum + tputMb(s), 0);
  console.log(
    `    CPU per MB streamed (/proc): hub agent ${perMb('hubAgent', tputMb('relay'))}, hub-direct's hub agent ${perMb('hub2Agent', tputMb('hub-direct'))}, PC agent ${perMb('pcAgent', tputMb('pc-agent') + tputMb('relay'))}, PC Ollama fake ${perMb('pcOllama', allMb)}, client ${perMb('client', allMb)}; hub pipe ${perMb('hubPipe', tputMb('pipes'))}, PC pipe ${perMb('pcPipe', tputMb('pipes') + tputMb('pc-pipe'))}`,
  );
  console.log('    (the fake writes one line per event-loop turn, ~1000× a real model; "bytes per read" is what the client\'s reads got:');
  console.log('     the agents pass on what one read of theirs brought as one write, so a busy hop batches, and the pipes pass each line alone)');
  console.log('');
  const fo: FailoverAnswer[] = result.failover;
  const failed = fo.filter((a) => !a.ok);
  const afterKill = fo.filter((a) => a.ok && a.node === 'hub' && a.endWallMs >= killWallMs);
  const acrossKill = fo.filter((a) => a.startedWallMs <= killWallMs + 1000 && a.endWallMs >= killWallMs).map((a) => a.endWallMs - a.startedWallMs);
  const before = fo.filter((a) => a.endWallMs < killWallMs).map((a) => a.endWallMs - a.startedWallMs);
  const servedBy: Record<string, number> = {};
  for (const a of fo) if (a.ok) servedBy[a.node ?? '?'] = (servedBy[a.node ?? '?'] ?? 0) + 1;
  const failovers = [...hub.output().matchAll(/^(\S+Z) WARN\s+proxy\.ollama: failing over to the next node .*?reason="([^"]*)"/gm)].map((m) => ({ atMs: Date.parse(m[1] ?? '') - killWallMs, reason: m[2] ?? '?' }));
  const reasons = new Map<string, number>();
  for (const f of failovers) reasons.set(f.reason, (reasons.get(f.reason) ?? 0) + 1);
  console.log(`  failover: ${FAILOVER_WORKERS} workers of non-streaming POST /api/generate through the hub for ${FAILOVER_MS / 1000} s; the PC's agent SIGKILLed at ${KILL_AT_MS / 1000} s`);
  console.log(`    requests failed: ${failed.length} of ${fo.length} (target 0)${failed.length ? `: ${[...new Set(failed.map((f) => f.error))].slice(0, 3).join('; ')}` : ''}`);
  console.log(`    kill → first answer from the hub's own Ollama: ${afterKill.length ? `${Math.min(...afterKill.map((a) => a.endWallMs - killWallMs))} ms` : 'n/a'} (wall clock, 1 ms steps)`);
  console.log(`    the hub's log: ${failovers.length} failovers${failovers.length ? `: ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}` : ''}`);
  console.log(`    request latency: p50 before the kill ${ms(percentile(before, 50))}, slowest request in flight during the first second after it ${acrossKill.length ? `${Math.max(...acrossKill)} ms` : 'n/a'}`);
  console.log(`    served by: ${Object.entries(servedBy).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log('');
  console.log(`  run took ${((performance.now() - runStarted) / 1000).toFixed(1)} s`);
} finally {
  await lab?.destroy();
  await rm(baseDir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
