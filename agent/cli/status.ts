/**
 * `inference-mesh status`: asks a running agent for its advert. Returns the text to print and the
 * exit code instead of printing, so main.ts stays the only file that touches the process.
 */
import { timeoutSignal, type Clock } from '../clock.js';
import { describeFetchError } from '../fetch-error.js';
import { nodeAdvertSchema } from '../../discovery/node-advert.js';
import { formatStatus } from './format-status.js';

export interface StatusResult {
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

export async function runStatus(
  opts: { url: string; json: boolean; timeoutMs: number },
  deps: { fetch: typeof fetch; clock: Clock },
): Promise<StatusResult> {
  const base = opts.url.replace(/\/+$/, '');
  const endpoint = `${base}/api/v1/node`;
  const deadline = timeoutSignal(deps.clock, opts.timeoutMs);
  try {
    const res = await deps.fetch(endpoint, { signal: deadline.signal, headers: { accept: 'application/json' } });
    const text = await res.text();
    if (!res.ok) return { exitCode: 1, stderr: `inference-mesh: the agent at ${base} answered HTTP ${res.status}: ${text.slice(0, 200)}` };
    const parsed = nodeAdvertSchema.safeParse(safeJson(text));
    if (!parsed.success) return { exitCode: 1, stderr: `inference-mesh: ${base} did not answer like an inference-mesh agent` };
    return { exitCode: 0, stdout: opts.json ? JSON.stringify(parsed.data, null, 2) : formatStatus(parsed.data, deps.clock.nowMs()) };
  } catch (err) {
    return { exitCode: 1, stderr: `inference-mesh: no agent answering at ${base} (${describeFetchError(err, base)}); start one with: inference-mesh start` };
  } finally {
    deadline.cancel();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
