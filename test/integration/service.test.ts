/**
 * The generated Linux unit runs (issue "Run as a service": "on Linux by running the unit's command
 * line"): render the unit for this source checkout, read its ExecStart= and Environment= back the
 * way systemd does (for the quoting subset we emit), spawn exactly that argv, wait for the health
 * check, and stop it with the unit's KillSignal: a clean stop must exit 0, which is what
 * SuccessExitStatus/Restart=on-failure rely on. No systemctl is ever run; when systemd-analyze is
 * installed the unit is also checked with `systemd-analyze verify` (read-only, offline).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../agent/service/templates.js';
import { parseSystemdWords } from '../../agent/service/systemd-quote.js';
import { renderSystemdUnit } from '../../agent/service/templates.js';
import { BIN, cleanEnv, eventually, freePort } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  // A space and a % in the data dir: the quoting must survive the round trip.
  dir = await mkdtemp(path.join(os.tmpdir(), 'im service 100%-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function setting(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

describe('the generated systemd unit', () => {
  it("runs the agent with the unit's own command line and stops cleanly on its KillSignal", async () => {
    const port = await freePort();
    const dataDir = path.join(dir, 'data');
    const unit = renderSystemdUnit({
      nodePath: process.execPath,
      entry: BIN,
      args: ['start', '--port', String(port), '--data-dir', dataDir, '--mdns-interface', '127.0.0.1'],
      user: 'user',
    });
    const [execStart, ...more] = setting(unit, 'ExecStart');
    expect(more).toEqual([]);
    const argv = parseSystemdWords(execStart ?? '', { expandDollar: true });
    expect(argv).toEqual([process.execPath, ...AGENT_NODE_FLAGS, BIN, 'start', '--port', String(port), '--data-dir', dataDir, '--mdns-interface', '127.0.0.1']);
    const env = Object.fromEntries(
      setting(unit, 'Environment').flatMap((v) => parseSystemdWords(v, { expandDollar: false })).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
    );
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2' });
    const [killSignal] = setting(unit, 'KillSignal');
    expect(killSignal).toBe('SIGTERM');

    const [file, ...args] = argv;
    const child = spawn(file ?? '', args, { env: cleanEnv(env), cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const health = await eventually(async () => {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}:\n${stderr}`);
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
        return res.ok ? ((await res.json()) as unknown) : undefined;
      }, 20_000);
      expect(health).toEqual({ status: 'ok' });
    } finally {
      child.kill(killSignal as NodeJS.Signals);
    }
    expect(await exited).toBe(0);
  });

  it.skipIf(SYSTEMD_ANALYZE === undefined)('passes systemd-analyze verify (system and user flavours)', async () => {
    for (const user of ['system', 'user'] as const) {
      const file = path.join(dir, 'inference-mesh.service');
      await writeFile(file, renderSystemdUnit({ nodePath: process.execPath, entry: BIN, args: ['start', '--config', path.join(dir, 'a b%.json')], user }));
      const { stderr } = await promisify(execFile)(SYSTEMD_ANALYZE ?? '', ['verify', file], { timeout: 20_000 });
      // verify exits 0 on warnings too; it prints nothing for a clean unit.
      expect(stderr.trim()).toBe('');
    }
  });
});
