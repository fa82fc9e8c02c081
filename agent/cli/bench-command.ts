/**
 * `inference-mesh bench [--model M] [--json]` (issue 15): asks the local agent to measure every
 * offered node that has the model (POST /api/v1/bench, admin) and prints the figures side by side.
 */
import type { Clock } from '../kernel/clock.js';
import { benchAnswerSchema, isSkipped, type BenchAnswer } from '../kernel/shapes/bench.js';
import { callAgent, type CliResult } from './placement-commands.js';

/** 8.0 and 7.5 keep a decimal where it matters; 120 and 1500 need none. */
export function rateText(n: number | null): string {
  if (n === null) return '—';
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

export function msText(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const HEAD = ['node', 'GPU', 'tok/s', 'prompt tok/s', 'first token', 'load'] as const;
/** Columns right-aligned (the figures), so their digits line up. */
const RIGHT = new Set([2, 3, 4, 5]);

export function formatBench(a: BenchAnswer): string {
  const rows = a.nodes.map((n) => {
    const gpu = n.gpu ?? 'none (CPU)';
    return isSkipped(n) ? { cells: [n.name, gpu], skipped: n.skipped } : { cells: [n.name, gpu, rateText(n.genTokPerSec), rateText(n.promptTokPerSec), msText(n.ttftMs), msText(n.loadMs)], skipped: null };
  });
  const width = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (RIGHT.has(i) ? c.padStart(width[i] ?? 0) : c.padEnd(width[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [`${a.model}: one node at a time, through the mesh, after a warm-up`, line(HEAD)];
  for (const r of rows) out.push(r.skipped === null ? line(r.cells) : `${line(r.cells)}  skipped: ${r.skipped}`);
  if (a.nodes.length === 0) out.push('(no node has this model)');
  return out.join('\n');
}

export async function runBench(
  deps: { fetch: typeof fetch; clock: Clock },
  opts: { url: string; json: boolean; timeoutMs: number; model: string | undefined; token: string | null },
): Promise<CliResult> {
  const r = await callAgent(deps, { url: opts.url, method: 'POST', path: '/bench', body: opts.model === undefined ? {} : { model: opts.model }, timeoutMs: opts.timeoutMs, token: opts.token });
  if (!r.ok) return r.result;
  const parsed = benchAnswerSchema.safeParse(r.json);
  if (!parsed.success) return { exitCode: 1, stderr: `inference-mesh: ${opts.url} did not answer like an inference-mesh agent` };
  return { exitCode: 0, stdout: opts.json ? JSON.stringify(parsed.data, null, 2) : formatBench(parsed.data) };
}
