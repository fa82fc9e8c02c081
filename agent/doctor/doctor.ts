/**
 * `inference-mesh doctor`: runs every check of the local setup and prints each problem with its fix
 * (the issue lists them: port, Ollama bind address, multicast route, firewall, WSL2 NAT, Tailscale,
 * Immich key, clock). Exit code 1 when any check found a problem, so scripts can gate on it.
 */
import { describeError } from '../kernel/errors.js';
import { ALL_CHECKS } from './checks/index.js';
import { formatResults } from './format.js';
import type { CheckResult, DoctorCheck, DoctorConfig, DoctorDeps } from './types.js';

export interface DoctorOptions {
  /** Print the results array as JSON instead of the readable list. */
  json?: boolean;
  /** The checks to run; all of them by default (tests pass a few). */
  checks?: readonly { id: string; title: string; run: DoctorCheck }[];
}

export async function runDoctor(config: DoctorConfig, deps: DoctorDeps, opts: DoctorOptions = {}): Promise<{ exitCode: number; stdout: string }> {
  const checks = opts.checks ?? ALL_CHECKS;
  // Independent checks run together: several wait on timeouts, and the total stays the slowest one.
  const results = await Promise.all(checks.map((c) => runOne(c, config, deps)));
  const exitCode = results.some((r) => r.status === 'problem') ? 1 : 0;
  return { exitCode, stdout: opts.json ? JSON.stringify(results, null, 2) : formatResults(results) };
}

/** One check failing unexpectedly is reported as a warning on that check, never the whole run lost. */
async function runOne(check: { id: string; title: string; run: DoctorCheck }, config: DoctorConfig, deps: DoctorDeps): Promise<CheckResult> {
  try {
    return await check.run(config, deps);
  } catch (err) {
    return { id: check.id, title: check.title, status: 'warn', detail: `could not check: ${describeError(err)}` };
  }
}
