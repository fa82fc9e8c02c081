import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../agent/doctor/doctor.js';
import type { CheckResult, DoctorCheck } from '../../../agent/doctor/types.js';
import { config, fakeDeps } from './fake-deps.js';

const fixed = (r: Omit<CheckResult, 'id' | 'title'>, id: string): { id: string; title: string; run: DoctorCheck } => ({
  id,
  title: id.toUpperCase(),
  run: () => Promise.resolve({ id, title: id.toUpperCase(), ...r }),
});

describe('runDoctor', () => {
  const checks = [
    fixed({ status: 'ok', detail: 'fine' }, 'a'),
    fixed({ status: 'warn', detail: 'hmm', fix: 'do x' }, 'b'),
    fixed({ status: 'problem', detail: 'broken', fix: 'do y' }, 'c'),
    fixed({ status: 'skipped', detail: 'n/a' }, 'd'),
  ];

  it('prints marks, fixes and a summary; exit 1 on a problem', async () => {
    const out = await runDoctor(config(), fakeDeps(), { checks });
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toBe(
      ['✓ A: fine', '! B: hmm', '    fix: do x', '✗ C: broken', '    fix: do y', '– D: n/a', '', '1 problem, 1 warning, 1 ok, 1 skipped: fix the problems above'].join('\n'),
    );
  });

  it('--json prints the results array; exit 0 without problems', async () => {
    const out = await runDoctor(config(), fakeDeps(), { checks: checks.slice(0, 2), json: true });
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual([
      { id: 'a', title: 'A', status: 'ok', detail: 'fine' },
      { id: 'b', title: 'B', status: 'warn', detail: 'hmm', fix: 'do x' },
    ]);
  });

  it('a check that throws becomes a warning on that check', async () => {
    const boom = { id: 'x', title: 'X', run: () => Promise.reject(new Error('exploded')) };
    const out = await runDoctor(config(), fakeDeps(), { checks: [boom], json: true });
    expect(JSON.parse(out.stdout)).toEqual([{ id: 'x', title: 'X', status: 'warn', detail: 'could not check: exploded' }]);
  });

  it('runs every real check against a quiet fake machine', async () => {
    const out = await runDoctor(config(), fakeDeps(), { json: true });
    const results = JSON.parse(out.stdout) as CheckResult[];
    expect(results.map((r) => r.id)).toEqual(['agent-port', 'ollama-reachable', 'multicast-route', 'mdns-firewall', 'wsl-nat', 'tailscale', 'immich-key', 'clock']);
    expect(results.map((r) => r.status)).toEqual(['ok', 'skipped', 'skipped', 'skipped', 'skipped', 'warn', 'warn', 'skipped']);
    expect(out.exitCode).toBe(0);
  });
});
