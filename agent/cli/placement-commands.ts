/**
 * `inference-mesh offer now [2h] | off [2h] | auto`, `pin <kind> <node> [2h]`, `unpin <kind>` and
 * `placement [--json]`: thin clients of the agent's API, returning text and an exit code.
 */
import { KINDS, kindsInUse } from '../kernel/kinds.js';
import { z } from 'zod';
import { timeoutSignal, type Clock } from '../kernel/clock.js';
import { describeFetchError } from '../kernel/fetch-error.js';
import { placementAnswerSchema, unreachableNote, type PlacementAnswer } from '../../scheduler/routing-status.js';

export interface CliResult {
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

export async function callAgent(
  deps: { fetch: typeof fetch; clock: Clock },
  opts: { url: string; method: string; path: string; body?: unknown; timeoutMs: number; token?: string | null },
): Promise<{ ok: true; json: unknown } | { ok: false; result: CliResult }> {
  const base = opts.url.replace(/\/+$/, '');
  const deadline = timeoutSignal(deps.clock, opts.timeoutMs);
  try {
    const res = await deps.fetch(`${base}/api/v1${opts.path}`, {
      method: opts.method,
      signal: deadline.signal,
      headers: {
        accept: 'application/json',
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const message = z.object({ error: z.object({ message: z.string() }) }).safeParse(json);
      return { ok: false, result: { exitCode: 1, stderr: `inference-mesh: ${message.success ? message.data.error.message : `HTTP ${res.status}`}` } };
    }
    return { ok: true, json };
  } catch (err) {
    return {
      ok: false,
      result: { exitCode: 1, stderr: `inference-mesh: no agent answering at ${base} (${describeFetchError(err, base).replace(` at ${base}`, '')}); start one with: inference-mesh start` },
    };
  } finally {
    deadline.cancel();
  }
}

export function formatPlacement(p: PlacementAnswer): string {
  const lines: string[] = [];
  for (const kind of kindsInUse(p)) {
    const d = KINDS[kind];
    const k = p.kinds[kind];
    const label = d.label;
    const elected = k.candidates.find((c) => c.nodeId === k.elected)?.name ?? 'nowhere';
    lines.push(`${label} → ${elected} — ${k.reason}`);
    const note = unreachableNote(k.elected, p.routing?.[kind]);
    if (note) lines.push(`  ⚠ ${note}`);
    const batch = k.candidates.find((c) => c.nodeId === k.batchElected);
    if (d.traits.batchWork) lines.push(`  batch work → ${batch ? `${batch.name}${batch.gpu ? '' : ' (CPU)'}${k.batchReason ? `: ${k.batchReason}` : ''}` : 'held: no batch node is offered'}`);
    for (const c of k.candidates) lines.push(`  ${c.eligible ? '✓' : '✗'} ${c.name.padEnd(16)} ${c.reason}`);
  }
  return lines.join('\n');
}

export async function showPlacement(deps: { fetch: typeof fetch; clock: Clock }, opts: { url: string; json: boolean; timeoutMs: number }): Promise<CliResult> {
  const r = await callAgent(deps, { ...opts, method: 'GET', path: '/placement' });
  if (!r.ok) return r.result;
  const parsed = placementAnswerSchema.safeParse(r.json);
  if (!parsed.success) return { exitCode: 1, stderr: `inference-mesh: ${opts.url} did not answer like an inference-mesh agent` };
  return { exitCode: 0, stdout: opts.json ? JSON.stringify(parsed.data, null, 2) : formatPlacement(parsed.data) };
}
