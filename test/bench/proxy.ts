/**
 * npm run bench:proxy          (after a build: node --import tsx test/bench/proxy.ts [--quick])
 *
 * First the table of issue 14 (test/bench/proxy-table.ts): direct, nginx (when installed), a node:http
 * pipe proxy and the agent, in interleaved rounds, medians and spreads, and the "Done when" ratios.
 * `--quick` runs a shorter table and nothing else; `--cpu-prof-dir DIR` writes V8 CPU profiles of the
 * table's agent and node pipe there (node --cpu-prof; read them with test/bench/cpu-profile-summary.ts);
 * `--agent-b-flags='--max-semi-space-size=16 …'` (with =: the value starts with a dash) adds a column: a
 * second agent with other node flags than `npm start`'s (issue 14: decide the young generation from measurements);
 * `--agent-b-main PATH/dist/agent/main.js` makes agent B another build (a code change, A/B in the same rounds).
 * Then, in a full run, the detailed figures below.
 *
 * What the routed Ollama endpoint costs (issue 5 benchmark): the built agent that `npm start` runs,
 * in front of a fake Ollama streaming tokens with no delay, measured DIRECT (the fake) and PROXIED
 * (the agent's `/ollama/…`) in the same run, interleaved so that machine noise hits both alike:
 *
 * - added time to first byte (first body chunk of a streamed POST /api/generate), p50 and p99, with
 *   one stream at a time and with 50 and 200 concurrent streams, twice: as bursts of streams sent
 *   at once with no delay between tokens (the worst case: every token of every stream lands on the
 *   agent at once), and as a steady load of streams paced like a real model (50 tokens/s);
 * - throughput of one long stream, as a % of direct;
 * - requests/s of small non-streaming calls (GET /api/version, POST /api/show);
 * - failover: requests failed while the elected backend is SIGKILLed under load (target 0), and the
 *   time from the kill until the next node serves.
 *
 * Everything is on 127.0.0.1: two fake Ollamas (test/bench/proxy-backend.ts: the fake of
 * test/fakes/fake-ollama.ts as a child process, so one can be SIGKILLed, with a settable completion
 * length and a "no delay" that is not clamped to 1 ms per token like the fake CLI's) and one agent
 * with static configuration only (mDNS and tailnet discovery off, mDNS pinned to loopback anyway,
 * Wake-on-LAN off). The client is node:http with keep-alive, in this process. All children run on
 * the same cores as the client, so concurrent figures include CPU contention that a real deployment
 * (Ollama on a GPU box) would not have. Prints figures; asserts nothing (DESIGN.md §7). Linux only
 * for the CPU figures (reads /proc).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AgentConfigInput } from '../../agent/config-schema.js';
import { cleanEnv, freePort } from '../helpers/cli.js';
import { createBenchChildren, type Child } from './bench-children.js';
import { runProxyTable } from './proxy-table.js';

/** The built agent with the node flags of `npm start` (read from package.json, so they cannot drift). */
const DIST_MAIN = fileURLToPath(new URL('../../dist/agent/main.cjs', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
const NODE_FLAGS = /^node ((?:--\S+ )*)dist\/agent\/main\.c?js/.exec(pkg.scripts.start)?.[1]?.trim().split(' ').filter(Boolean) ?? [];

const MODEL = 'bench:1b';
const AGENT_NAME = 'bench-agent';
const BACKUP_NAME = 'backup';
/** Tokens per completion in the backends; short streams ask for SHORT_TOKENS with num_predict. */
const LONG_TOKENS = 60_000;
const SHORT_TOKENS = 9;
const SEQUENTIAL = 400;
const CONCURRENCY = [
  { streams: 50, rounds: 10 },
  { streams: 200, rounds: 4 },
] as const;
/** Steady load: streams paced like a real model, workers staggered so requests arrive spread out. */
const PACED_TOKENS_PER_SEC = 50;
const PACED_TOKENS = 25;
const PACED_MS = 3000;
/** Requests that start during the first part of a steady phase (the ramp-up) are not counted. */
const PACED_SKIP_MS = 700;
const PACED_STREAMS = [50, 200] as const;
const THROUGHPUT_REPS = 5;
const RPS_WORKERS = 16;
const RPS_MS = 2500;
const FAILOVER_WORKERS = 20;
const FAILOVER_MS = 5000;
const KILL_AT_MS = 1500;
/** Per-request bound: nothing in this bench should take long; a stuck request fails instead of hanging the run. */
const REQUEST_TIMEOUT_MS = 15_000;
/** The whole run gives up after this (children are killed). */
const WATCHDOG_MS = 180_000;

// ---------------------------------------------------------------------------------------------
// Child processes (only the ones started here are ever signalled, by their own pid).

const children = createBenchChildren();
const { start: startChild, waitFor } = children;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const startBackend = (name: string): Promise<{ child: Child; port: number }> => children.startBackend(name, MODEL, LONG_TOKENS);

/** Sets a backend's token pace (0 = no delay) over its IPC channel. */
function setPace(c: Child, tokensPerSec: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${c.name} did not answer the pace change`)), 5000);
    c.proc.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    c.proc.send({ tokensPerSec });
  });
}

/** utime + stime of a live process, in ms (Linux; null elsewhere). */
async function cpuMs(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000; // USER_HZ = 100
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The client: node:http with keep-alive, one pool per side, big enough for 200 streams.

interface Side {
  label: 'direct' | 'proxied';
  port: number;
  prefix: string;
  agent: http.Agent;
}

interface Answer {
  status: number;
  /** ms from sending to the response head / the first body chunk / the end. */
  headMs: number;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  lines: number;
  node: string | undefined;
  startedAt: number;
  headAt: number;
}

function call(side: Side, method: string, p: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port: side.port, path: `${side.prefix}${p}`, method, agent: side.agent, headers }, (res) => {
      const headAt = performance.now();
      let first = -1;
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        if (first < 0) first = performance.now();
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.once('end', () => {
        const end = performance.now();
        const node = res.headers['x-inference-mesh-node'];
        resolve({
          status: res.statusCode ?? 0,
          headMs: headAt - t0,
          ttfbMs: (first < 0 ? end : first) - t0,
          totalMs: end - t0,
          bytes,
          lines,
          node: typeof node === 'string' ? node : undefined,
          startedAt: t0,
          headAt,
        });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}

const shortStream = JSON.stringify({ model: MODEL, prompt: 'Why is the sky blue?', options: { num_predict: SHORT_TOKENS } });
const longStream = JSON.stringify({ model: MODEL, prompt: 'Tell me everything.' });
const pacedStream = JSON.stringify({ model: MODEL, prompt: 'Why is the sky blue?', options: { num_predict: PACED_TOKENS } });
const smallGenerate = JSON.stringify({ model: MODEL, prompt: 'Why is the sky blue?', stream: false, options: { num_predict: SHORT_TOKENS } });

async function ok(a: Promise<Answer>): Promise<Answer> {
  const r = await a;
  if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
  return r;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const median = (values: readonly number[]): number => percentile(values, 50);

// ---------------------------------------------------------------------------------------------
// Measurements.

async function sequentialTtfb(sides: readonly Side[], n: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(sides.map((s) => [s.label, []]));
  for (let i = 0; i < n; i++) {
    for (const s of i % 2 === 0 ? sides : [...sides].reverse()) out.get(s.label)?.push((await ok(call(s, 'POST', '/api/generate', shortStream))).ttfbMs);
  }
  return out;
}

async function concurrentTtfb(sides: readonly Side[], streams: number, rounds: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(sides.map((s) => [s.label, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const answers = await Promise.all(Array.from({ length: streams }, () => ok(call(s, 'POST', '/api/generate', shortStream))));
      out.get(s.label)?.push(...answers.map((a) => a.ttfbMs));
    }
  }
  return out;
}

/** `streams` workers, each starting its next paced stream when the last one ends; TTFB of the steady part. */
async function steadyTtfb(side: Side, streams: number): Promise<number[]> {
  const out: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + PACED_MS;
  const streamMs = (PACED_TOKENS / PACED_TOKENS_PER_SEC) * 1000;
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      await sleep((i / streams) * streamMs);
      while (performance.now() < deadline) {
        const a = await ok(call(side, 'POST', '/api/generate', pacedStream));
        if (a.startedAt - t0 >= PACED_SKIP_MS) out.push(a.ttfbMs);
      }
    }),
  );
  return out;
}

async function throughput(sides: readonly Side[], reps: number): Promise<Map<string, { mbps: number; linesPerSec: number }[]>> {
  const out = new Map<string, { mbps: number; linesPerSec: number }[]>(sides.map((s) => [s.label, []]));
  for (let r = 0; r < reps; r++) {
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const a = await ok(call(s, 'POST', '/api/generate', longStream));
      if (a.lines !== LONG_TOKENS + 1) throw new Error(`${s.label}: a ${LONG_TOKENS}-token stream had ${a.lines} lines`);
      const sec = (a.totalMs - a.ttfbMs) / 1000;
      out.get(s.label)?.push({ mbps: a.bytes / 1e6 / sec, linesPerSec: a.lines / sec });
    }
  }
  return out;
}

interface RpsResult {
  rps: number;
  errors: number;
  /** CPU ms per 1000 requests of each watched process (null: not measurable). */
  cpuPer1000: Record<string, number | null>;
}

async function requestsPerSecond(side: Side, method: string, p: string, body: string | undefined, watch: Record<string, number | undefined>): Promise<RpsResult> {
  const before = Object.fromEntries(await Promise.all(Object.entries(watch).map(async ([k, pid]) => [k, await cpuMs(pid)] as const)));
  const clientBefore = process.cpuUsage();
  let done = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + RPS_MS;
  await Promise.all(
    Array.from({ length: RPS_WORKERS }, async () => {
      while (performance.now() < deadline) {
        try {
          await ok(call(side, method, p, body));
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(clientBefore);
  const cpuPer1000: Record<string, number | null> = { client: ((client.user + client.system) / 1000 / done) * 1000 };
  for (const [k, pid] of Object.entries(watch)) {
    const a = before[k];
    const b = await cpuMs(pid);
    cpuPer1000[k] = a === null || a === undefined || b === null ? null : ((b - a) / done) * 1000;
  }
  return { rps: done / sec, errors, cpuPer1000 };
}

interface Placement {
  kinds: { ollama: { elected: string | null; candidates: { nodeId: string; name: string; eligible: boolean; reason: string }[] } };
}

async function placement(agentPort: number): Promise<{ elected: string | null; eligible: string[]; raw: Placement }> {
  const res = await fetch(`http://127.0.0.1:${agentPort}/api/v1/placement`);
  const raw = (await res.json()) as Placement;
  const k = raw.kinds.ollama;
  return {
    elected: k.candidates.find((c) => c.nodeId === k.elected)?.name ?? null,
    eligible: k.candidates.filter((c) => c.eligible).map((c) => c.name),
    raw,
  };
}

interface FailoverResult {
  total: number;
  failed: number;
  failures: string[];
  firstBackupMs: number | null;
  /** When this process saw backend A exit: the kernel closes a killed process's sockets only as it finishes tearing it down. */
  goneMs: number | null;
  lastFromAMs: number | null;
  electedBackupMs: number | null;
  slowestAcrossKillMs: number;
  p50BeforeMs: number;
  servedBy: Record<string, number>;
  /** From the agent's log: its failover warnings after the kill (ms after the kill, reason). */
  agentFailovers: { atMs: number; reason: string }[];
}

async function failover(side: Side, agentPort: number, backendA: Child, agent: Child): Promise<FailoverResult> {
  let killWallMs = Infinity;
  const answers: Answer[] = [];
  const failures: string[] = [];
  let tKill = Infinity;
  let electedBackupAt: number | null = null;
  let goneAt: number | null = null;
  const t0 = performance.now();
  const deadline = t0 + FAILOVER_MS;
  const workers = Array.from({ length: FAILOVER_WORKERS }, async () => {
    while (performance.now() < deadline) {
      try {
        const a = await call(side, 'POST', '/api/generate', smallGenerate);
        if (a.status === 200) answers.push(a);
        else failures.push(`HTTP ${a.status} from ${a.node ?? '?'}`);
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  });
  const killer = (async () => {
    await sleep(KILL_AT_MS);
    tKill = performance.now();
    killWallMs = Date.now();
    void backendA.exited.then(() => (goneAt = performance.now()));
    backendA.proc.kill('SIGKILL');
    // How long until the agent's own placement notices (services probe interval: 1 s).
    while (performance.now() < deadline + 5000) {
      const p = await placement(agentPort).catch(() => null);
      if (p?.elected === BACKUP_NAME) {
        electedBackupAt = performance.now();
        return;
      }
      await sleep(50);
    }
  })();
  await Promise.all([...workers, killer]);
  const fromBackup = answers.filter((a) => a.node === BACKUP_NAME && a.headAt >= tKill).map((a) => a.headAt - tKill);
  const fromA = answers.filter((a) => a.node === AGENT_NAME && a.headAt >= tKill).map((a) => a.headAt - tKill);
  const across = answers.filter((a) => a.startedAt < tKill + 1000 && a.startedAt + a.totalMs > tKill).map((a) => a.totalMs);
  const servedBy: Record<string, number> = {};
  for (const a of answers) servedBy[a.node ?? '?'] = (servedBy[a.node ?? '?'] ?? 0) + 1;
  return {
    total: answers.length + failures.length,
    failed: failures.length,
    failures,
    firstBackupMs: fromBackup.length ? Math.min(...fromBackup) : null,
    goneMs: goneAt === null ? null : goneAt - tKill,
    lastFromAMs: fromA.length ? Math.max(...fromA) : null,
    electedBackupMs: electedBackupAt === null ? null : electedBackupAt - tKill,
    slowestAcrossKillMs: across.length ? Math.max(...across) : NaN,
    p50BeforeMs: median(answers.filter((a) => a.startedAt + a.totalMs < tKill).map((a) => a.totalMs)),
    servedBy,
    agentFailovers: [...agent.output().matchAll(/^(\S+Z) WARN\s+proxy\.ollama: failing over to the next node .*?reason="([^"]*)"/gm)]
      .map((m) => ({ atMs: Date.parse(m[1] ?? '') - killWallMs, reason: m[2] ?? '?' }))
      .filter((f) => f.atMs >= -1),
  };
}

// ---------------------------------------------------------------------------------------------
// The run.

const ms = (v: number | null): string => (v === null || Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)} ms`);
const signedMs = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ms`;
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

/** What bench:proxy measured before issue 14 (after the table): TTFB in detail, throughput, req/s, failover. */
async function detailedFigures(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:proxy: still running after ${WATCHDOG_MS / 1000} s; stopping the children\n`);
    children.killAll();
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-proxy-'));
  // Ctrl-C: the children get the terminal's SIGINT too; wait for them (bounded), then remove the temp dir.
  process.once('SIGINT', () => {
    void Promise.race([children.stopAll(), sleep(8000)])
      .then(() => rm(dataDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  });
  const pools: http.Agent[] = [];
  const pool = (): http.Agent => {
    const a = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
    pools.push(a);
    return a;
  };
  const runStarted = performance.now();
  try {
    const [a, b] = await Promise.all([startBackend('backend A'), startBackend('backend B')]);
    const agentPort = await freePort();
    const configPath = path.join(dataDir, 'bench.config.json');
    const config: AgentConfigInput = {
      node: { name: AGENT_NAME },
      api: { host: '127.0.0.1', port: agentPort },
      services: { ollama: { url: `http://127.0.0.1:${a.port}` }, 'immich-ml': { enabled: false } },
      probes: { servicesIntervalSec: 1 },
      // A plain endpoint has priority 5 and a CPU-only node 0 (scheduler/eligibility.ts
      // effectivePriority), so without `prefer` the endpoint 'backup' would be elected. The bench wants
      // the agent's own node (backend A) elected and 'backup' as the fallback.
      placement: { ollama: { prefer: [AGENT_NAME] } },
      wakeOnLan: { enabled: false },
      discovery: {
        mdns: { enabled: false, interfaces: ['127.0.0.1'] },
        tailnet: { enabled: false },
        peers: [],
        endpoints: [{ name: BACKUP_NAME, urls: { ollama: `http://127.0.0.1:${b.port}` } }],
      },
    };
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const agent = startChild(
      'agent',
      [...NODE_FLAGS, DIST_MAIN, 'start', '--config', configPath, '--data-dir', dataDir, '--port', String(agentPort), '--mdns-interface', '127.0.0.1'],
      cleanEnv(),
    );
    await waitFor('the agent to be ready', () => (agent.output().includes('agent ready') ? true : undefined), 30_000, agent);
    await waitFor(
      `placement: ${AGENT_NAME} elected for Ollama, ${BACKUP_NAME} eligible`,
      async () => {
        const p = await placement(agentPort);
        return p.elected === AGENT_NAME && p.eligible.includes(BACKUP_NAME) ? true : undefined;
      },
      20_000,
      agent,
    );

    const direct: Side = { label: 'direct', port: a.port, prefix: '', agent: pool() };
    const proxied: Side = { label: 'proxied', port: agentPort, prefix: '/ollama', agent: pool() };
    const sides = [direct, proxied] as const;
    const check = await ok(call(proxied, 'POST', '/api/generate', shortStream));
    if (check.node !== AGENT_NAME) throw new Error(`the proxied stream was served by ${check.node ?? '?'}, not ${AGENT_NAME}`);

    // Warm-up (JIT, connection pools on both hops), not recorded.
    await sequentialTtfb(sides, 200);
    await concurrentTtfb(sides, 200, 1);
    await throughput(sides, 1);

    const seq = await sequentialTtfb(sides, SEQUENTIAL);
    const conc: { streams: number; rounds: number; data: Map<string, number[]> }[] = [];
    for (const c of CONCURRENCY) conc.push({ ...c, data: await concurrentTtfb(sides, c.streams, c.rounds) });
    const tput = await throughput(sides, THROUGHPUT_REPS);
    await setPace(a.child, PACED_TOKENS_PER_SEC);
    const steady: { streams: number; data: Map<string, number[]> }[] = [];
    for (const n of PACED_STREAMS) steady.push({ streams: n, data: new Map([['direct', await steadyTtfb(direct, n)], ['proxied', await steadyTtfb(proxied, n)]]) });
    await setPace(a.child, 0);
    const watch = { agent: agent.proc.pid, backend: a.child.proc.pid };
    const rps = {
      version: { direct: await requestsPerSecond(direct, 'GET', '/api/version', undefined, watch), proxied: await requestsPerSecond(proxied, 'GET', '/api/version', undefined, watch) },
      show: {
        direct: await requestsPerSecond(direct, 'POST', '/api/show', JSON.stringify({ model: MODEL }), watch),
        proxied: await requestsPerSecond(proxied, 'POST', '/api/show', JSON.stringify({ model: MODEL }), watch),
      },
    };
    // The backup answers warm (its code paths compiled), so the failover figure is the agent's, not B's start-up.
    const backup: Side = { label: 'direct', port: b.port, prefix: '', agent: pool() };
    for (let i = 0; i < 200; i++) await ok(call(backup, 'POST', '/api/generate', smallGenerate));
    const fo = await failover(proxied, agentPort, a.child, agent);

    // ---- report
    const cores = os.availableParallelism();
    console.log(`bench:proxy — built agent (node${NODE_FLAGS.length ? ` ${NODE_FLAGS.join(' ')}` : ''}) in front of a fake Ollama (no delay between tokens), all on 127.0.0.1, ${cores} cores shared by client, agent and fakes`);
    console.log(`  direct = the fake Ollama; proxied = the agent's /ollama/ → the same fake; TTFB = send → first body chunk of a streamed POST /api/generate (${SHORT_TOKENS} tokens)`);
    console.log('');
    console.log(`  ${pad('', 54)}${lpad('direct', 10)}${lpad('proxied', 10)}${lpad('added', 11)}   target`);
    const ttfbRows = (title: string, data: Map<string, number[]>, targets: { p50?: string; p99?: string }): void => {
      const d = data.get('direct') ?? [];
      const p = data.get('proxied') ?? [];
      for (const q of [50, 99] as const) {
        const dv = percentile(d, q);
        const pv = percentile(p, q);
        const label = q === 50 ? `${title} (n=${d.length}/${p.length})` : '';
        console.log(`  ${pad(label, 48)}${pad(`p${q}`, 6)}${lpad(ms(dv), 10)}${lpad(ms(pv), 10)}${lpad(signedMs(pv - dv), 11)}   ${(q === 50 ? targets.p50 : targets.p99) ?? ''}`);
      }
    };
    ttfbRows('TTFB, 1 stream at a time', seq, { p50: '≤ 1 ms added p50' });
    for (const c of conc) ttfbRows(`TTFB, ${c.streams} concurrent, burst`, c.data, c.streams === 50 ? { p99: '≤ 5 ms added p99' } : {});
    for (const c of steady) ttfbRows(`TTFB, ${c.streams} concurrent, ${PACED_TOKENS_PER_SEC} tok/s each`, c.data, c.streams === 50 ? { p99: '≤ 5 ms added p99' } : {});
    console.log(`  burst: ${CONCURRENCY.map((c) => `${c.rounds} rounds of ${c.streams}`).join(', ')} streams sent at once, ${SHORT_TOKENS} tokens each with no delay (worst case)`);
    console.log(`  ${PACED_TOKENS_PER_SEC} tok/s: that many workers, each streaming ${PACED_TOKENS} tokens at ${PACED_TOKENS_PER_SEC} tokens/s again and again, staggered, ${PACED_MS / 1000} s per side`);
    console.log('');
    const td = tput.get('direct') ?? [];
    const tp = tput.get('proxied') ?? [];
    const dMb = median(td.map((x) => x.mbps));
    const pMb = median(tp.map((x) => x.mbps));
    console.log(`  stream throughput, one ${LONG_TOKENS.toLocaleString('en')}-token stream (median of ${THROUGHPUT_REPS}, first byte → end):`);
    console.log(`    direct  ${dMb.toFixed(1)} MB/s, ${Math.round(median(td.map((x) => x.linesPerSec))).toLocaleString('en')} lines/s`);
    console.log(`    proxied ${pMb.toFixed(1)} MB/s, ${Math.round(median(tp.map((x) => x.linesPerSec))).toLocaleString('en')} lines/s = ${((pMb / dMb) * 100).toFixed(1)} % of direct (target ≥ 95 %)`);
    console.log(`    (both are bound by how fast the fake writes: one line per event-loop turn, ~1000× a real model; the proxy only has to keep up)`);
    console.log('');
    const cpu = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${v.toFixed(0)} ms`);
    for (const [title, r] of [
      ['GET /api/version', rps.version],
      ['POST /api/show', rps.show],
    ] as const) {
      console.log(`  requests/s, ${title} (${RPS_WORKERS} workers, ${RPS_MS / 1000} s each):`);
      console.log(`    direct  ${Math.round(r.direct.rps).toLocaleString('en')} req/s${r.direct.errors ? `, ${r.direct.errors} errors` : ''}   CPU per 1000 requests: fake ${cpu(r.direct.cpuPer1000['backend'])}, client ${cpu(r.direct.cpuPer1000['client'])}`);
      console.log(
        `    proxied ${Math.round(r.proxied.rps).toLocaleString('en')} req/s${r.proxied.errors ? `, ${r.proxied.errors} errors` : ''} = ${((r.proxied.rps / r.direct.rps) * 100).toFixed(1)} % of direct   CPU per 1000 requests: agent ${cpu(r.proxied.cpuPer1000['agent'])}, fake ${cpu(r.proxied.cpuPer1000['backend'])}, client ${cpu(r.proxied.cpuPer1000['client'])}`,
      );
    }
    console.log('');
    console.log(`  failover: ${FAILOVER_WORKERS} workers of non-streaming POST /api/generate through the agent for ${FAILOVER_MS / 1000} s; backend A SIGKILLed at ${KILL_AT_MS / 1000} s`);
    console.log(`    requests failed: ${fo.failed} of ${fo.total} (target 0)${fo.failed ? `: ${[...new Set(fo.failures)].slice(0, 3).join('; ')}` : ''}`);
    console.log(`    kill → first answer from '${BACKUP_NAME}': ${ms(fo.firstBackupMs)}`);
    console.log(`      for comparison: kill → last answer from backend A ${ms(fo.lastFromAMs)}; kill → backend A's exit seen (the kernel closes its sockets as it ends) ${ms(fo.goneMs)}`);
    const reasons = new Map<string, number>();
    for (const f of fo.agentFailovers) reasons.set(f.reason, (reasons.get(f.reason) ?? 0) + 1);
    console.log(
      `      the agent's log: ${fo.agentFailovers.length} failovers${fo.agentFailovers.length ? `, the first ${Math.min(...fo.agentFailovers.map((f) => f.atMs))} ms after the kill (log clock, 1 ms steps): ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}` : ''}`,
    );
    console.log(`    kill → placement elects '${BACKUP_NAME}': ${ms(fo.electedBackupMs)} (services probe every 1 s; requests fail over before that)`);
    console.log(`    request latency: p50 before the kill ${ms(fo.p50BeforeMs)}, slowest request in flight during the first second after it ${ms(fo.slowestAcrossKillMs)}`);
    console.log(`    served by: ${Object.entries(fo.servedBy).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log('');
    console.log(`  run took ${((performance.now() - runStarted) / 1000).toFixed(1)} s`);
  } finally {
    for (const p of pools) p.destroy();
    await children.stopAll();
    await rm(dataDir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

// The table of issue 14 first (test/bench/proxy-table.ts), then, unless --quick, the detailed figures.
const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'cpu-prof-dir': { type: 'string' }, 'agent-b-flags': { type: 'string' }, 'agent-b-main': { type: 'string' } } });
const tableChildren = createBenchChildren();
const TABLE_WATCHDOG_MS = 240_000;
const tableWatchdog = setTimeout(() => {
  process.stderr.write(`bench:proxy: the table still runs after ${TABLE_WATCHDOG_MS / 1000} s; stopping the children\n`);
  tableChildren.killAll();
  process.exit(1);
}, TABLE_WATCHDOG_MS);
tableWatchdog.unref();
// Ctrl-C: every child is stopped at once by its pid; the table then fails on its next request and
// its `finally` removes its temp dirs; that failure is reported as the interruption it is.
let interrupted = false;
const onTableSigint = (): void => {
  interrupted = true;
  process.stderr.write('bench:proxy: interrupted; stopping the children\n');
  tableChildren.killAll();
};
process.once('SIGINT', onTableSigint);
try {
  await runProxyTable({ quick: flags.quick, children: tableChildren, mainPath: DIST_MAIN, nodeFlags: NODE_FLAGS, agentBFlags: flags['agent-b-flags']?.split(' ').filter(Boolean), agentBMain: flags['agent-b-main'], cpuProfDir: flags['cpu-prof-dir'] });
} catch (err) {
  if (!interrupted) throw err;
  process.exit(130);
} finally {
  clearTimeout(tableWatchdog);
  process.off('SIGINT', onTableSigint);
}
if (!flags.quick) await detailedFigures();
