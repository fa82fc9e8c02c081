/**
 * `inference-mesh settings reset [KEY…]` (issue 12): drops settings saved from the Setup page, so the
 * config file decides them again (all of them when no key is given; a key also drops those under
 * it: `offer` drops `offer.coolDownSec`). A thin client of `POST /api/v1/settings/reset`.
 */
import { z } from 'zod';
import type { Clock } from '../kernel/clock.js';
import { callAgent, type CliResult } from './placement-commands.js';

const answerSchema = z.object({ dropped: z.array(z.string()) });

export async function runSettingsReset(
  deps: { fetch: typeof fetch; clock: Clock },
  opts: { url: string; timeoutMs: number; json: boolean; keys: string[]; token: string | null },
): Promise<CliResult> {
  const r = await callAgent(deps, { url: opts.url, timeoutMs: opts.timeoutMs, token: opts.token, method: 'POST', path: '/settings/reset', body: { keys: opts.keys } });
  if (!r.ok) return r.result;
  if (opts.json) return { exitCode: 0, stdout: JSON.stringify(r.json, null, 2) };
  const parsed = answerSchema.safeParse(r.json);
  if (!parsed.success) return { exitCode: 1, stderr: `inference-mesh: ${opts.url} did not answer like an inference-mesh agent` };
  const { dropped } = parsed.data;
  if (dropped.length === 0) return { exitCode: 0, stdout: opts.keys.length === 0 ? 'nothing to reset: no setting saved from the Setup page overrides the config file' : `nothing to reset: no saved setting under ${opts.keys.join(', ')}` };
  return { exitCode: 0, stdout: `the config file decides again: ${dropped.join(', ')}` };
}
