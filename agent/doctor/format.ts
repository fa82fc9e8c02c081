/** How doctor results read on a terminal: one line per check, its fix indented below. */
import type { CheckResult, CheckStatus } from './types.js';

export const STATUS_MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', problem: '✗', skipped: '–' };

export function formatResults(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${STATUS_MARK[r.status]} ${r.title}: ${r.detail}`);
    if (r.fix) lines.push(`    fix: ${r.fix}`);
  }
  lines.push('', summaryLine(results));
  return lines.join('\n');
}

export function summaryLine(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const problems = count('problem');
  const verdict = problems > 0 ? 'fix the problems above' : count('warn') > 0 ? 'no problems; see the warnings' : 'all good';
  return `${plural(problems, 'problem')}, ${plural(count('warn'), 'warning')}, ${count('ok')} ok, ${count('skipped')} skipped: ${verdict}`;
}
