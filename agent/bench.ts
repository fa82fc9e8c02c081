/**
 * `inference-mesh bench` / `POST /api/v1/bench` (issue 15): the same short prompt on every node that
 * has the model and is offered now, one node at a time (two at once would share nothing, but a node
 * serving traffic meanwhile would), through the mesh as a client's request goes. Nodes that are out
 * are skipped with the placement's reason. The figures come from Ollama's own final line
 * (PROTOCOLS.md §1: durations in ns), the time to the first token from this agent's clock.
 */
import type { Clock } from './kernel/clock.js';
import { AgentError, BadRequestError, describeError } from './kernel/errors.js';
import type { BenchAnswer, BenchNode } from './kernel/shapes/bench.js';
import type { NodeRecord } from '../discovery/types.js';
import type { KindPlacement } from '../scheduler/placement-view.js';
import type { Target } from '../api/proxy/targets.js';

/** One generate call's answer: the status, the whole body, and when its first byte arrived (clock ms). */
export interface BenchReply {
  status: number;
  body: string;
  firstByteAtMs: number | null;
}

/** Sends one POST to a target's Ollama (the transport is injected: bench-transport.ts in the agent). */
export type BenchPost = (target: Target, path: string, body: Buffer, timeoutMs: number) => Promise<BenchReply>;

export interface BenchDeps {
  nodes: () => NodeRecord[];
  /** Candidates for an Ollama request naming `model`, with reasons (Elector.electFor). */
  placementFor: (model: string) => KindPlacement;
  /** Where a request to this node's Ollama goes (api/proxy/targets.ts targetFor); null: no way there. */
  target: (node: NodeRecord) => Target | null;
  post: BenchPost;
  clock: Clock;
  /** Per call: a cold load of a large model on a slow disk takes minutes. */
  callTimeoutMs: number;
}

/**
 * The measured prompt is fixed, so figures of different runs and nodes compare. Temperature 0 and
 * 64 tokens keep the answer's length the same everywhere and the run short on a CPU-only node
 * (64 tokens at 8 tok/s: 8 s).
 */
export const BENCH_PROMPT = 'Describe, in plain words, how a lighthouse guides ships at night.';
/**
 * The warm-up asks something else: Ollama reuses the KV cache of a repeated prompt prefix, and the
 * measured call would then report a prompt evaluation of one token (no prompt figure at all).
 */
export const WARM_UP_PROMPT = 'Say hello.';
export const BENCH_OPTIONS = { num_predict: 64, temperature: 0 } as const;

interface FinalLine {
  eval_count?: number;
  eval_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  load_duration?: number;
  error?: string;
}

const sameModel = (a: string, b: string): boolean => a === b || a === `${b}:latest` || `${a}:latest` === b;

export function hasModel(node: NodeRecord, model: string): boolean {
  return (node.advert?.services.ollama?.models ?? []).some((m) => sameModel(m.name, model));
}

/** The model most nodes have; on a tie the first one met (registry order, each node's own order). */
export function defaultModel(nodes: readonly NodeRecord[]): string | null {
  const counts = new Map<string, number>();
  for (const n of nodes) for (const name of new Set((n.advert?.services.ollama?.models ?? []).map((m) => m.name))) counts.set(name, (counts.get(name) ?? 0) + 1);
  let best: string | null = null;
  for (const [name, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = name;
  return best;
}

/** count / (duration in ns), per second, to one decimal; null when Ollama reported no duration. */
export function perSec(count: number | undefined, durationNs: number | undefined): number | null {
  if (count === undefined || durationNs === undefined || durationNs <= 0 || count < 0) return null;
  return Math.round((count / (durationNs / 1e9)) * 10) / 10;
}

const nsToMs = (ns: number | undefined): number | null => (ns === undefined || ns < 0 ? null : Math.round(ns / 1e5) / 10);

/** The final (`done`) line of an NDJSON stream, or the one JSON object of a non-streamed answer. */
export function finalLine(body: string): FinalLine {
  const lines = body.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const parsed = JSON.parse(lines[i] ?? '') as FinalLine & { done?: boolean };
      if (parsed.done === true || parsed.error !== undefined) return parsed;
    } catch {
      // Not JSON: a proxy's error page; keep looking, then fail below.
    }
  }
  throw new Error('the answer had no final line with figures');
}

export function createBench(deps: BenchDeps) {
  let running = false;

  const generate = async (target: Target, model: string, prompt: string): Promise<{ line: FinalLine; ttftMs: number | null }> => {
    const body = Buffer.from(JSON.stringify({ model, prompt, stream: true, options: BENCH_OPTIONS }));
    const sentAtMs = deps.clock.monotonicMs();
    const reply = await deps.post(target, '/api/generate', body, deps.callTimeoutMs);
    const line = reply.status === 200 ? finalLine(reply.body) : null;
    if (!line || line.error !== undefined) throw new Error(line?.error ?? `HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
    return { line, ttftMs: reply.firstByteAtMs === null ? null : Math.round((reply.firstByteAtMs - sentAtMs) * 10) / 10 };
  };

  const measure = async (node: NodeRecord, model: string): Promise<BenchNode> => {
    const base = { nodeId: node.nodeId, name: node.name, gpu: node.advert?.hardware?.gpus[0]?.model ?? null, model };
    // Asked per node, just before its turn: a game may have started while the previous one ran.
    const candidate = deps.placementFor(model).candidates.find((c) => c.nodeId === node.nodeId);
    if (!candidate) return { ...base, skipped: `not a candidate now (${node.state})` };
    if (!candidate.eligible) return { ...base, skipped: candidate.reason };
    const target = deps.target(node);
    if (!target) return { ...base, skipped: 'no proven address to reach it yet' };
    try {
      const warm = await generate(target, model, WARM_UP_PROMPT);
      const { line, ttftMs } = await generate(target, model, BENCH_PROMPT);
      return {
        ...base,
        genTokPerSec: perSec(line.eval_count, line.eval_duration),
        promptTokPerSec: perSec(line.prompt_eval_count, line.prompt_eval_duration),
        ttftMs,
        loadMs: nsToMs(warm.line.load_duration),
      };
    } catch (err) {
      return { ...base, skipped: `failed: ${describeError(err)}` };
    }
  };

  return {
    /** Measures every node that has `model` (default: the most common one), one at a time. */
    async run(opts: { model?: string | undefined }): Promise<BenchAnswer> {
      if (running) throw new AgentError('bench_running', 'a bench is running already; wait for its answer', { httpStatus: 409 });
      running = true;
      try {
        const nodes = deps.nodes();
        const model = opts.model ?? defaultModel(nodes);
        if (model === null) throw new BadRequestError('no node has an Ollama model to measure');
        const having = nodes.filter((n) => hasModel(n, model));
        if (having.length === 0) throw new BadRequestError(`no node has ${model}`);
        const out: BenchNode[] = [];
        for (const node of having) out.push(await measure(node, model));
        return { atMs: deps.clock.nowMs(), model, nodes: out };
      } finally {
        running = false;
      }
    },
  };
}
export type Bench = ReturnType<typeof createBench>;
