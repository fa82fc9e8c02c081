/**
 * `inference-mesh status`: asks a running agent for its advert. Returns the text to print and the
 * exit code instead of printing, so main.ts stays the only file that touches the process.
 */
import { z } from 'zod';
import { timeoutSignal, type Clock } from '../kernel/clock.js';
import { describeFetchError } from '../kernel/fetch-error.js';
import { nodeAdvertSchema } from '../../discovery/advert.js';
import { nodeRecordSchema } from '../../discovery/types.js';
import { placementAnswerSchema } from '../../scheduler/routing-status.js';
import { formatNodes } from './format-nodes.js';
import { formatClockWarnings, formatPlacementSummary } from './format-summary.js';
import { formatStatus } from './format-status.js';

const nodesResponseSchema = z.object({ nodes: z.array(nodeRecordSchema) });

export interface StatusResult {
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

/** `status` (this node's advert) and `nodes` (the registry) ask the agent the same way. */
export async function runStatus(
  opts: { url: string; json: boolean; timeoutMs: number; what?: 'status' | 'nodes' },
  deps: { fetch: typeof fetch; clock: Clock },
): Promise<StatusResult> {
  const base = opts.url.replace(/\/+$/, '');
  const nodes = opts.what === 'nodes';
  const endpoint = `${base}/api/v1/${nodes ? 'nodes' : 'node'}`;
  const deadline = timeoutSignal(deps.clock, opts.timeoutMs);
  try {
    const res = await deps.fetch(endpoint, { signal: deadline.signal, headers: { accept: 'application/json' } });
    const text = await res.text();
    if (!res.ok) return { exitCode: 1, stderr: `inference-mesh: the agent at ${base} answered HTTP ${res.status}: ${text.slice(0, 200)}` };
    const notAgent = { exitCode: 1, stderr: `inference-mesh: ${base} did not answer like an inference-mesh agent` };
    if (nodes) {
      const parsed = nodesResponseSchema.safeParse(safeJson(text));
      if (!parsed.success) return notAgent;
      return { exitCode: 0, stdout: opts.json ? JSON.stringify(parsed.data, null, 2) : formatNodes(parsed.data.nodes, deps.clock.nowMs()) };
    }
    const parsed = nodeAdvertSchema.safeParse(safeJson(text));
    if (!parsed.success) return notAgent;
    // The placement summary leads the table: it is the question most people run status for.
    const [placement, mesh] = await Promise.all([
      getJson(deps.fetch, `${base}/api/v1/placement`, deadline.signal, placementAnswerSchema),
      getJson(deps.fetch, `${base}/api/v1/nodes`, deadline.signal, nodesResponseSchema),
    ]);
    if (opts.json) return { exitCode: 0, stdout: JSON.stringify({ node: parsed.data, placement, nodes: mesh?.nodes ?? null }, null, 2) };
    const summary = placement ? `${[...formatPlacementSummary(placement, mesh?.nodes ?? []), ...formatClockWarnings(mesh?.nodes ?? [])].join('\n')}\n\n` : '';
    return { exitCode: 0, stdout: `${summary}${formatStatus(parsed.data, deps.clock.nowMs())}` };
  } catch (err) {
    return { exitCode: 1, stderr: `inference-mesh: no agent answering at ${base} (${describeFetchError(err, base).replace(` at ${base}`, '')}); start one with: inference-mesh start` };
  } finally {
    deadline.cancel();
  }
}

async function getJson<T>(fetchFn: typeof fetch, url: string, signal: AbortSignal, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const res = await fetchFn(url, { signal, headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    const parsed = schema.safeParse(await res.json());
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
