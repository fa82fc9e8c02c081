/**
 * The table of issue 14, printed first by `npm run bench:proxy`: the same workloads sent straight to
 * a fake Ollama ("direct"), through nginx (when installed), through a 15-line node:http pipe
 * (test/bench/pipe-proxy.ts, the floor for any Node proxy) and through the built agent, in
 * interleaved rounds: every round runs every target once per workload, in a rotated order, so
 * machine noise hits all of them alike. Each cell is the median over the rounds with the spread
 * (min–max of the per-round figures). Then the ratios the issue's "Done when" uses.
 *
 * The agent has the fake as its own Ollama and nothing else, as in a one-machine setup. The
 * `/api/tags` row comes from a second agent of the same build that also has 50 static plain
 * endpoints (`discovery.endpoints` with `urls.ollama`, all on a second fake), so its
 * `GET /ollama/api/tags` merges 51 nodes' lists (api/proxy/model-list-cache.ts); it is idle while
 * the other rows are measured. Everything on 127.0.0.1; prints figures, asserts nothing (DESIGN.md §7).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfigInput } from '../../agent/config-schema.js';
import { cleanEnv, freePort } from '../helpers/cli.js';
import { startNginx, type NginxProxy } from './nginx-proxy.js';
import type { BenchChildren, Child } from './bench-children.js';
import { cpuMs, ok, percentile, request, rssMb, type Target } from './proxy-table-client.js';

const MODEL = 'bench:1b';
const AGENT_NAME = 'bench-agent';
const ENDPOINTS = 50;
const BURST = 50;
const CONCURRENCY = 50;

interface Plan {
  rounds: number;
  rpsMs: number;
  streamsPerRound: number;
  burstsPerRound: number;
  tagsPerRound: number;
}
const PLANS: Record<'quick' | 'full', Plan> = {
  // /api/tags calls are many because CPU is read in 10 ms ticks (/proc, USER_HZ).
  quick: { rounds: 4, rpsMs: 1500, streamsPerRound: 100, burstsPerRound: 2, tagsPerRound: 500 },
  full: { rounds: 6, rpsMs: 2500, streamsPerRound: 200, burstsPerRound: 4, tagsPerRound: 1000 },
};

const showBody = JSON.stringify({ model: MODEL });
const streamBody = JSON.stringify({ model: MODEL, prompt: 'Why is the sky blue?', options: { num_predict: 9 } });

/** One round's figure per target. */
type Cell = Map<string, number[]>;

interface Figures {
  rps: Cell;
  cpuPerReqMs: Cell;
  streamP50: Cell;
  streamAddedP50: Cell;
  burstP50: Cell;
  burstP99: Cell;
  tagsP50: Cell;
  tagsCpuMs: Cell;
}

const push = (cell: Cell, label: string, v: number): void => {
  const list = cell.get(label) ?? [];
  list.push(v);
  cell.set(label, list);
};
const rotate = <T>(xs: readonly T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length] as T);

async function smallRequests(t: Target, durationMs: number): Promise<{ rps: number; cpuPerReqMs: number | null }> {
  const pids = await t.pids();
  const cpu0 = await cpuMs(pids);
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const a = await request(t, 'POST', '/api/show', showBody);
        if (a.status !== 200) throw new Error(`${t.label}: POST /api/show answered HTTP ${a.status}: ${(a.body ?? '').slice(0, 200)}`);
        done++;
      }
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  const cpu1 = await cpuMs(pids);
  return { rps: done / sec, cpuPerReqMs: cpu0 === null || cpu1 === null || pids.length === 0 ? null : (cpu1 - cpu0) / done };
}

async function round(targets: readonly Target[], listsTarget: Target, r: number, plan: Plan, f: Figures): Promise<void> {
  const order = rotate(targets, r);
  for (const t of order) {
    const s = await smallRequests(t, plan.rpsMs);
    push(f.rps, t.label, s.rps);
    if (s.cpuPerReqMs !== null) push(f.cpuPerReqMs, t.label, s.cpuPerReqMs);
  }
  // One stream at a time, alternating the order on every request.
  const ttfb = new Map<string, number[]>(targets.map((t) => [t.label, []]));
  for (let i = 0; i < plan.streamsPerRound; i++) {
    for (const t of i % 2 === 0 ? order : [...order].reverse()) ttfb.get(t.label)?.push((await ok(request(t, 'POST', '/api/generate', streamBody))).ttfbMs);
  }
  const directP50 = percentile(ttfb.get('direct') ?? [], 50);
  for (const t of targets) {
    const p50 = percentile(ttfb.get(t.label) ?? [], 50);
    push(f.streamP50, t.label, p50);
    if (t.label !== 'direct') push(f.streamAddedP50, t.label, p50 - directP50);
  }
  // Bursts: BURST streams sent at once.
  const burst = new Map<string, number[]>(targets.map((t) => [t.label, []]));
  for (let b = 0; b < plan.burstsPerRound; b++) {
    for (const t of b % 2 === 0 ? order : [...order].reverse()) {
      const answers = await Promise.all(Array.from({ length: BURST }, () => ok(request(t, 'POST', '/api/generate', streamBody))));
      burst.get(t.label)?.push(...answers.map((a) => a.ttfbMs));
    }
  }
  for (const t of targets) {
    push(f.burstP50, t.label, percentile(burst.get(t.label) ?? [], 50));
    push(f.burstP99, t.label, percentile(burst.get(t.label) ?? [], 99));
  }
  // The merged model list, from the agent with 50 endpoints (only an agent has one).
  const pids = await listsTarget.pids();
  const cpu0 = await cpuMs(pids);
  const tags: number[] = [];
  for (let i = 0; i < plan.tagsPerRound; i++) tags.push((await ok(request(listsTarget, 'GET', '/api/tags'))).totalMs);
  const cpu1 = await cpuMs(pids);
  push(f.tagsP50, 'agent', percentile(tags, 50));
  if (cpu0 !== null && cpu1 !== null) push(f.tagsCpuMs, 'agent', (cpu1 - cpu0) / plan.tagsPerRound);
}

/**
 * node's own profiler, written as the process exits into DIR/NAME/: one file per thread (with
 * `--import tsx` the loader's worker thread writes one too), the main thread's is `CPU.*.PID.0.*`.
 */
function profileFlags(dir: string | undefined, name: string): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, name)}`];
}

/** A built agent with the fake as its own Ollama, elected (`prefer`: plain endpoints outrank a CPU-only node, scheduler/eligibility.ts). */
async function startAgent(
  opts: TableOptions,
  dataRoot: string,
  name: string,
  nodeFlags: readonly string[],
  ollamaPort: number,
  discovery: AgentConfigInput['discovery'],
  cpuProfDir: string | undefined,
  mainPath = opts.mainPath,
): Promise<{ child: Child; port: number }> {
  const dataDir = path.join(dataRoot, name.replaceAll(' ', '-'));
  await mkdir(dataDir);
  const port = await freePort();
  const configPath = path.join(dataDir, 'bench.config.json');
  const config: AgentConfigInput = {
    node: { name: AGENT_NAME },
    api: { host: '127.0.0.1', port },
    services: { ollama: { url: `http://127.0.0.1:${ollamaPort}` }, 'immich-ml': { enabled: false } },
    placement: { ollama: { prefer: [AGENT_NAME] } },
    wakeOnLan: { enabled: false },
    discovery,
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const child = opts.children.start(name, [...profileFlags(cpuProfDir, name.replaceAll(' ', '-')), ...nodeFlags, mainPath, 'start', '--config', configPath, '--data-dir', dataDir, '--port', String(port), '--mdns-interface', '127.0.0.1'], cleanEnv());
  await opts.children.waitFor(`${name} to be ready`, () => (child.output().includes('agent ready') ? true : undefined), 30_000, child);
  return { child, port };
}

export interface TableOptions {
  quick: boolean;
  children: BenchChildren;
  /** The built agent: dist/agent/main.cjs. */
  mainPath: string;
  /** node flags of the agent (`npm start`'s). */
  nodeFlags: readonly string[];
  /** When set, a second agent ("agent B") with these node flags gets its own column (e.g. another young-generation size). */
  agentBFlags?: readonly string[] | undefined;
  /** When set, agent B runs this build's main.js instead (main.cjs or main.js; with agentBFlags, or the same flags): a code change measured in the same rounds. */
  agentBMain?: string | undefined;
  /** Writes V8 CPU profiles of the agent (not the lists agent) and the node pipe there, as they exit. */
  cpuProfDir?: string | undefined;
}

export async function runProxyTable(opts: TableOptions): Promise<void> {
  const plan = PLANS[opts.quick ? 'quick' : 'full'];
  const started = performance.now();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-table-'));
  const pools: http.Agent[] = [];
  let nginx: NginxProxy | null = null;
  try {
    const [backend, listsBackend] = await Promise.all([opts.children.startBackend('table backend', MODEL), opts.children.startBackend('table lists backend', 'a:1b,b:7b,c:13b')]);
    const pipe = opts.children.start('pipe proxy', [...profileFlags(opts.cpuProfDir, 'node-pipe'), '--import', 'tsx', new URL('./pipe-proxy.ts', import.meta.url).pathname, String(backend.port)], cleanEnv());
    const pipePort = Number(new URL(await opts.children.waitFor('the pipe proxy to listen', () => /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(pipe.output())?.[1], 20_000, pipe)).port);
    nginx = await startNginx({ backendPort: backend.port, port: await freePort(), children: opts.children });

    const listsConfig: AgentConfigInput['discovery'] = {
      mdns: { enabled: false, interfaces: ['127.0.0.1'] },
      tailnet: { enabled: false },
      peers: [],
      endpoints: Array.from({ length: ENDPOINTS }, (_, i) => ({ name: `endpoint-${i + 1}`, urls: { ollama: `http://127.0.0.1:${listsBackend.port}` } })),
    };
    const plain: AgentConfigInput['discovery'] = { mdns: { enabled: false, interfaces: ['127.0.0.1'] }, tailnet: { enabled: false }, peers: [], endpoints: [] };
    const [agent, listsAgent, agentB] = await Promise.all([
      startAgent(opts, dataDir, 'agent', opts.nodeFlags, backend.port, plain, opts.cpuProfDir),
      startAgent(opts, dataDir, 'lists agent', opts.nodeFlags, backend.port, listsConfig, undefined),
      opts.agentBFlags || opts.agentBMain ? startAgent(opts, dataDir, 'agent B', opts.agentBFlags ?? opts.nodeFlags, backend.port, plain, undefined, opts.agentBMain) : undefined,
    ]);

    const pool = (): http.Agent => {
      const a = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
      pools.push(a);
      return a;
    };
    const single = (pid: number | undefined) => async (): Promise<number[]> => (pid === undefined ? [] : [pid]);
    const direct: Target = { label: 'direct', port: backend.port, prefix: '', pool: pool(), pids: async () => [] };
    const agentTarget: Target = { label: 'agent', port: agent.port, prefix: '/ollama', pool: pool(), pids: single(agent.child.proc.pid) };
    const listsTarget: Target = { label: 'agent', port: listsAgent.port, prefix: '/ollama', pool: pool(), pids: single(listsAgent.child.proc.pid) };
    const targets: Target[] = [direct];
    if (nginx) targets.push({ label: 'nginx', port: nginx.port, prefix: '', pool: pool(), pids: nginx.pids });
    targets.push({ label: 'node pipe', port: pipePort, prefix: '', pool: pool(), pids: single(pipe.proc.pid) });
    targets.push(agentTarget);
    const agents = [{ target: agentTarget, child: agent.child }];
    if (agentB) {
      const t: Target = { label: 'agent B', port: agentB.port, prefix: '/ollama', pool: pool(), pids: single(agentB.child.proc.pid) };
      targets.push(t);
      agents.push({ target: t, child: agentB.child });
    }

    // The agents' own nodes serving, and every endpoint up and in the lists agent's /api/tags, before anything is measured.
    for (const { target: t, child } of [...agents, { target: listsTarget, child: listsAgent.child }]) {
      await opts.children.waitFor(`${child.name}: its own node serving`, async () => ((await request(t, 'POST', '/api/generate', streamBody)).node === AGENT_NAME ? true : undefined), 30_000, child);
    }
    await opts.children.waitFor(
      `all ${ENDPOINTS + 1} nodes' models in /ollama/api/tags`,
      async () => {
        const tags = await request(listsTarget, 'GET', '/api/tags');
        return tags.status === 200 && (JSON.parse(tags.body ?? '{}') as { models?: unknown[] }).models?.length === 4 ? true : undefined;
      },
      30_000,
      listsAgent.child,
    );
    const rss = new Map<string, { idleMb: number | null; loadedMb: number | null }>();
    for (const a of agents) rss.set(a.target.label, { idleMb: await rssMb(a.child.proc.pid), loadedMb: null });

    // Warm-up (JIT, keep-alive pools on both hops), not recorded.
    await round(targets, listsTarget, 0, { rounds: 1, rpsMs: 500, streamsPerRound: 50, burstsPerRound: 1, tagsPerRound: 50 }, emptyFigures());
    const f = emptyFigures();
    for (let r = 0; r < plan.rounds; r++) await round(targets, listsTarget, r, plan, f);
    for (const a of agents) {
      const r = rss.get(a.target.label);
      if (r) r.loadedMb = await rssMb(a.child.proc.pid);
    }

    print(f, targets, plan, opts, { rss, nginx: nginx !== null, seconds: (performance.now() - started) / 1000 });
  } finally {
    for (const p of pools) p.destroy();
    await nginx?.stop();
    await opts.children.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function emptyFigures(): Figures {
  return { rps: new Map(), cpuPerReqMs: new Map(), streamP50: new Map(), streamAddedP50: new Map(), burstP50: new Map(), burstP99: new Map(), tagsP50: new Map(), tagsCpuMs: new Map() };
}

/** Median over the rounds, with min–max. */
export function cellText(values: readonly number[] | undefined, fmt: (v: number) => string): string {
  if (!values || values.length === 0) return '—';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return `${fmt(percentile(values, 50))} (${fmt(lo)}–${fmt(hi)})`;
}

/** The ratio a/b of each round (a round either lacks is left out); the caller takes median and spread. */
export function ratio(a: readonly number[] | undefined, b: readonly number[] | undefined): number[] {
  if (!a || !b) return [];
  return a.map((v, i) => v / (b[i] ?? NaN)).filter((v) => Number.isFinite(v));
}

function print(f: Figures, targets: readonly Target[], plan: Plan, opts: TableOptions, extra: { rss: Map<string, { idleMb: number | null; loadedMb: number | null }>; nginx: boolean; seconds: number }): void {
  const labels = targets.map((t) => t.label);
  const reqs = (v: number): string => Math.round(v).toLocaleString('en');
  const msf = (v: number): string => `${v.toFixed(2)}`;
  const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
  const rows: [string, Cell, (v: number) => string][] = [
    [`small POST /api/show, c=${CONCURRENCY}, req/s`, f.rps, reqs],
    ['proxy CPU per small request, ms', f.cpuPerReqMs, (v) => v.toFixed(3)],
    ['one stream, first byte p50, ms', f.streamP50, msf],
    ['one stream, added to first byte p50, ms', f.streamAddedP50, signed],
    [`burst of ${BURST} streams, first byte p50, ms`, f.burstP50, msf],
    [`burst of ${BURST} streams, first byte p99, ms`, f.burstP99, msf],
    [`GET /api/tags with ${ENDPOINTS} endpoints, p50, ms`, f.tagsP50, msf],
    ['  agent CPU per /api/tags call, ms', f.tagsCpuMs, (v) => v.toFixed(3)],
  ];
  const w0 = 46;
  const w = 26;
  console.log(`bench:proxy table (issue 14) — ${opts.quick ? 'quick' : 'full'}: ${plan.rounds} interleaved rounds, order rotated each round; cell = median over rounds (min–max)`);
  console.log(`  agent = built agent (node ${opts.nodeFlags.join(' ')}) /ollama/ → fake Ollama; node pipe = test/bench/pipe-proxy.ts; ${extra.nginx ? 'nginx 1 worker, keep-alive upstream, proxy_buffering off' : 'nginx: not installed, skipped'}`);
  if (opts.agentBFlags || opts.agentBMain) console.log(`  agent B = ${opts.agentBMain ?? 'the same build'} with node ${(opts.agentBFlags ?? opts.nodeFlags).join(' ')}`);
  console.log(`  per round and target: ${plan.rpsMs / 1000} s of /api/show with ${CONCURRENCY} workers; ${plan.streamsPerRound} single streams (9 tokens, no delay); ${plan.burstsPerRound} bursts of ${BURST}; ${plan.tagsPerRound} /api/tags (agent only)`);
  console.log(`  /api/tags: a second agent (same build and flags) with its own node + ${ENDPOINTS} static endpoints (discovery.endpoints, urls.ollama) on one fake`);
  console.log(`  all on 127.0.0.1, ${os.availableParallelism()} cores shared by client, proxies, agents and fakes`);
  console.log('');
  console.log(`  ${''.padEnd(w0)}${labels.map((l) => l.padStart(w)).join('')}`);
  for (const [title, cell, fmt] of rows) console.log(`  ${title.padEnd(w0)}${labels.map((l) => cellText(cell.get(l), fmt).padStart(w)).join('')}`);
  const rss = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(0)} MB`);
  const rssText = (l: string): string => {
    const r = extra.rss.get(l);
    return r ? `${rss(r.idleMb)} / ${rss(r.loadedMb)}` : '';
  };
  console.log(`  ${'agent RSS: idle / after the rounds'.padEnd(w0)}${labels.map((l) => rssText(l).padStart(w)).join('')}`);
  console.log(`  (idle: ready, before any load; bench:footprint measures the idle agent with every probe running)`);
  console.log('');
  const check = (title: string, values: number[], target: string, pass: (v: number) => boolean, fmt: (v: number) => string): void => {
    const text = values.length ? `${fmt(percentile(values, 50))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})` : 'n/a';
    const verdict = values.length ? (pass(percentile(values, 50)) ? 'met' : 'NOT met') : '';
    console.log(`  ${title.padEnd(w0)}${text.padStart(w)}   target ${target.padEnd(10)} ${verdict}`);
  };
  const x = (v: number): string => `${v.toFixed(2)}×`;
  console.log(`  Done when (issue 14), median over rounds of each round's figure (min–max):`);
  for (const a of labels.filter((l) => l.startsWith('agent'))) {
    check(`${a} req/s ÷ node pipe req/s`, ratio(f.rps.get(a), f.rps.get('node pipe')), '≥ 0.8×', (v) => v >= 0.8, x);
    check(`one stream, ${a} adds to first byte p50`, f.streamAddedP50.get(a) ?? [], '≤ 0.5 ms', (v) => v <= 0.5, (v) => `${signed(v)} ms`);
    check(`burst p99: ${a} ÷ node pipe`, ratio(f.burstP99.get(a), f.burstP99.get('node pipe')), '≤ 2×', (v) => v <= 2, x);
  }
  check(`/api/tags with ${ENDPOINTS} endpoints, p50`, f.tagsP50.get('agent') ?? [], '≤ 2 ms', (v) => v <= 2, (v) => `${v.toFixed(2)} ms`);
  console.log(`  table took ${extra.seconds.toFixed(1)} s`);
  console.log('');
}
