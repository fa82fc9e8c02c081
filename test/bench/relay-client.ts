/**
 * The measuring client of `npm run bench:relay` (test/bench/relay.ts), run on the hub's lab host
 * with `ip netns exec <hub ns> node --import tsx test/bench/relay-client.ts '<json>'`: the bench
 * process itself lives in the root namespace and cannot reach lab addresses.
 *
 * Sides, measured in interleaved rounds so machine noise hits all alike:
 * - `direct`: the PC's fake Ollama at the PC's lab address (no agent at all);
 * - `hub-direct`: the hub agent of a second mesh → the PC's fake Ollama at the PC's lab address: the
 *   PC's agent of that mesh advertises its Ollama in direct mode (issue 10 §6). Issue 10's baseline;
 * - `pc-agent`: the PC agent's relay route called directly, signed as the hub would sign it (one
 *   agent hop: where the time goes, split per hop);
 * - `relay`: the hub agent's `/ollama/` → the PC's agent → the PC's loopback Ollama (the product path);
 * - `pipes`: a node:http pipe on the hub → one on the PC → the PC's loopback Ollama (test/bench/pipe-proxy.ts):
 *   the floor of any two-hop Node relay, nothing checked or signed;
 * - `pc-pipe`: the PC's node:http pipe alone → the PC's loopback Ollama: the floor of the one hop
 *   the relay adds (compare with `pc-agent`, and relay − hub-direct).
 *
 * Phases: warm-up; TTFB of one stream at a time (between `{"phase":"ttfb-start"}` and
 * `{"phase":"ttfb-end"}` lines, so the bench can read the CPU time the agents spent); throughput of one long stream; then failover: the
 * line `{"failoverStart":…}` tells the bench to SIGKILL the PC's agent while workers keep sending
 * non-streaming requests through the hub. Prints one JSON object with the raw samples at the end.
 */
import http from 'node:http';
import { signRequest } from '../../discovery/peer-auth.js';

export interface RelayClientOptions {
  model: string;
  direct: { host: string; port: number };
  hub: { host: string; port: number };
  /** The hub agent of the second mesh, whose PC advertises its Ollama for direct connection. */
  hubDirect: { host: string; port: number };
  /** bench:relay --agent-b-main: the hub agent of a third mesh running another build (the `relay-b` side). */
  relayB?: { host: string; port: number };
  pcAgent: { host: string; port: number; key: string; hubId: string; pcId: string };
  pipes: { host: string; port: number };
  /** The PC's pipe, dialled at its lab address (the `pc-pipe` side). */
  pcPipe: { host: string; port: number };
  sequential: number;
  throughputReps: number;
  longTokens: number;
  shortTokens: number;
  failoverWorkers: number;
  failoverMs: number;
  requestTimeoutMs: number;
}

export interface FailoverAnswer {
  ok: boolean;
  node: string | null;
  /** Wall clock (ms), comparable with the bench's kill time: both processes share the machine's clock. */
  startedWallMs: number;
  endWallMs: number;
  error: string | null;
}

export interface RelayClientResult {
  servedBy: Record<string, string | null>;
  ttfbMs: Record<string, number[]>;
  throughput: Record<string, { mbps: number; linesPerSec: number; bytesPerChunk: number; bytes: number }[]>;
  failover: FailoverAnswer[];
}

type Label = 'direct' | 'hub-direct' | 'pc-agent' | 'relay' | 'relay-b' | 'pipes' | 'pc-pipe';

const opts = JSON.parse(process.argv[2] ?? '') as RelayClientOptions;
const pool = (): http.Agent => new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
const sides: { label: Label; host: string; port: number; prefix: string; agent: http.Agent }[] = [
  { label: 'direct', host: opts.direct.host, port: opts.direct.port, prefix: '', agent: pool() },
  { label: 'hub-direct', host: opts.hubDirect.host, port: opts.hubDirect.port, prefix: '/ollama', agent: pool() },
  { label: 'pc-agent', host: opts.pcAgent.host, port: opts.pcAgent.port, prefix: '/api/v1/peer/relay/ollama', agent: pool() },
  { label: 'relay', host: opts.hub.host, port: opts.hub.port, prefix: '/ollama', agent: pool() },
  { label: 'pipes', host: opts.pipes.host, port: opts.pipes.port, prefix: '', agent: pool() },
  { label: 'pc-pipe', host: opts.pcPipe.host, port: opts.pcPipe.port, prefix: '', agent: pool() },
  ...(opts.relayB ? [{ label: 'relay-b' as const, host: opts.relayB.host, port: opts.relayB.port, prefix: '/ollama', agent: pool() }] : []),
];

interface Answer {
  status: number;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  lines: number;
  /** 'data' events: how the stream arrived (one per line, or coalesced). */
  chunks: number;
  node: string | null;
}

function call(side: (typeof sides)[number], p: string, body: string): Promise<Answer> {
  const path = `${side.prefix}${p}`;
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (side.label === 'pc-agent') {
    const a = opts.pcAgent;
    // What the hub agent signs for a relayed request (api/proxy/upstream.ts): recipient, dialled address, body.
    Object.assign(headers, signRequest({ key: a.key, nodeId: a.hubId, to: a.pcId, dialled: `${a.host}:${a.port}`, method: 'POST', path, body, nowMs: Date.now() }));
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: side.host, port: side.port, method: 'POST', path, headers, agent: side.agent }, (res) => {
      let first = -1;
      let bytes = 0;
      let lines = 0;
      let chunks = 0;
      res.on('data', (chunk: Buffer) => {
        if (first < 0) first = performance.now();
        chunks++;
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.once('end', () => {
        const end = performance.now();
        const node = res.headers['x-inference-mesh-node'];
        resolve({ status: res.statusCode ?? 0, ttfbMs: (first < 0 ? end : first) - t0, totalMs: end - t0, bytes, lines, chunks, node: typeof node === 'string' ? node : null });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.setTimeout(opts.requestTimeoutMs, () => req.destroy(new Error(`no answer within ${opts.requestTimeoutMs} ms`)));
    req.end(body);
  });
}

async function ok(a: Promise<Answer>, label: string): Promise<Answer> {
  const r = await a;
  if (r.status !== 200) throw new Error(`${label}: HTTP ${r.status}`);
  return r;
}

const shortStream = JSON.stringify({ model: opts.model, prompt: 'Why is the sky blue?', options: { num_predict: opts.shortTokens } });
const longStream = JSON.stringify({ model: opts.model, prompt: 'Tell me everything.' });
const smallGenerate = JSON.stringify({ model: opts.model, prompt: 'Why is the sky blue?', stream: false, options: { num_predict: opts.shortTokens } });

/**
 * Each round in a shuffled order (a fixed-seed PRNG, so runs repeat), so every side follows every
 * other alike; a rotation always ran `relay` right after `pc-agent`, on the same PC agent. (That was
 * not the main bias: relay still beat relay-b by 0.49 ms in a shuffled A/A run, see relay.ts.)
 */
let seed = 0x9e3779b9;
function random(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const shuffled = <T>(items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

async function sequentialTtfb(n: number): Promise<Record<Label, number[]>> {
  const out: Record<Label, number[]> = { direct: [], 'hub-direct': [], 'pc-agent': [], relay: [], 'relay-b': [], pipes: [], 'pc-pipe': [] };
  for (let i = 0; i < n; i++) for (const s of shuffled(sides)) out[s.label].push((await ok(call(s, '/api/generate', shortStream), s.label)).ttfbMs);
  return out;
}

async function throughput(reps: number): Promise<RelayClientResult['throughput']> {
  const out: RelayClientResult['throughput'] = { direct: [], 'hub-direct': [], 'pc-agent': [], relay: [], 'relay-b': [], pipes: [], 'pc-pipe': [] };
  for (let r = 0; r < reps; r++) {
    for (const s of shuffled(sides)) {
      const a = await ok(call(s, '/api/generate', longStream), s.label);
      if (a.lines !== opts.longTokens + 1) throw new Error(`${s.label}: a ${opts.longTokens}-token stream had ${a.lines} lines`);
      const sec = (a.totalMs - a.ttfbMs) / 1000;
      out[s.label]?.push({ mbps: a.bytes / 1e6 / sec, linesPerSec: a.lines / sec, bytesPerChunk: a.bytes / a.chunks, bytes: a.bytes });
    }
  }
  return out;
}

async function failover(): Promise<FailoverAnswer[]> {
  const relay = sides.find((s) => s.label === 'relay');
  if (!relay) throw new Error('no relay side');
  const answers: FailoverAnswer[] = [];
  const deadline = performance.now() + opts.failoverMs;
  process.stdout.write(`${JSON.stringify({ failoverStart: Date.now() })}\n`);
  await Promise.all(
    Array.from({ length: opts.failoverWorkers }, async () => {
      while (performance.now() < deadline) {
        const startedWallMs = Date.now();
        try {
          const a = await call(relay, '/api/generate', smallGenerate);
          answers.push({ ok: a.status === 200, node: a.node, startedWallMs, endWallMs: Date.now(), error: a.status === 200 ? null : `HTTP ${a.status}` });
        } catch (err) {
          answers.push({ ok: false, node: null, startedWallMs, endWallMs: Date.now(), error: err instanceof Error ? err.message : String(err) });
        }
      }
    }),
  );
  return answers;
}

const servedBy: Record<string, string | null> = {};
for (const s of sides) servedBy[s.label] = (await ok(call(s, '/api/generate', shortStream), s.label)).node;
// Warm-up (JIT, keep-alive pools on every hop), not recorded.
await sequentialTtfb(100);
if (opts.throughputReps > 0) await throughput(1);
// Markers for the bench, which reads the agents' CPU time around the measured phase.
process.stdout.write(`${JSON.stringify({ phase: 'ttfb-start' })}\n`);
const ttfbMs = await sequentialTtfb(opts.sequential);
process.stdout.write(`${JSON.stringify({ phase: 'ttfb-end' })}\n`);
process.stdout.write(`${JSON.stringify({ phase: 'tput-start' })}\n`);
const tput = await throughput(opts.throughputReps);
process.stdout.write(`${JSON.stringify({ phase: 'tput-end' })}\n`);
const fo = await failover();
for (const s of sides) s.agent.destroy();
const result: RelayClientResult = { servedBy, ttfbMs, throughput: tput, failover: fo };
process.stdout.write(`${JSON.stringify(result)}\n`);
