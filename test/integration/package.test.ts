/**
 * The package as users get it (issue 7 §1): `npm pack` builds and packs the JavaScript, a global
 * install into a temporary prefix without dev dependencies gets a working `inference-mesh`, and the
 * installed agent starts and answers its health check. Uses the npm registry for the runtime
 * dependencies (the only network this machine reaches; npm's cache makes repeats fast).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, eventually, freePort } from '../helpers/cli.js';
import { runBounded } from '../helpers/run-bounded.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let bin: string;

describe('the npm package', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'im-pack-'));
    // Each npm call is bounded below the hook's own timeout and killed with its children (npm → sh
    // → tsc), so a slow registry never leaves an `npm install` running after the test gave up.
    const { stdout } = await runBounded('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env: cleanEnv(), timeoutMs: 100_000 });
    const tarball = path.join(dir, (JSON.parse(stdout) as { filename: string }[])[0]?.filename ?? '');
    await runBounded('npm', ['install', '-g', '--omit=dev', '--no-audit', '--no-fund', '--prefix', path.join(dir, 'prefix'), tarball], { env: cleanEnv(), timeoutMs: 120_000 });
    bin = path.join(dir, 'prefix', 'bin', 'inference-mesh');
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds built JavaScript and no TypeScript sources or tests', async () => {
    const pkg = path.join(dir, 'prefix', 'lib', 'node_modules', 'inference-mesh');
    const top = (await readdir(pkg)).sort();
    expect(top).toEqual(expect.arrayContaining(['bin', 'dist', 'package.json', 'README.md', 'agent.config.json']));
    expect(top).not.toContain('agent');
    expect(top).not.toContain('test');
    expect(await readdir(path.join(pkg, 'dist', 'agent'))).toEqual(expect.arrayContaining(['main.cjs', 'main.js', 'agent.cjs']));
    // No dev dependency came along: no TypeScript tooling at run time.
    const deps = await readdir(path.join(pkg, 'node_modules'));
    for (const dev of ['typescript', 'tsx', 'vitest', 'eslint']) expect(deps).not.toContain(dev);
  });

  it('`inference-mesh --help` lists the commands', async () => {
    const { stdout } = await run(bin, ['--help'], { env: cleanEnv(), timeout: 60_000, killSignal: 'SIGKILL' });
    for (const command of ['start', 'status', 'nodes', 'placement', 'offer', 'pin', 'key', 'admin-token']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('the installed command runs without Node\'s ES module loader (~12 ms of every start, issue 17)', async () => {
    // A preload that records, at exit, which of Node's ES module internals the process loaded.
    const preload = path.join(dir, 'record-esm.cjs');
    const out = path.join(dir, 'esm-modules.json');
    await writeFile(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList.filter((m) => m.includes('internal/modules/esm/')))));`);
    await run(process.execPath, ['--require', preload, path.join(dir, 'prefix', 'lib', 'node_modules', 'inference-mesh', 'bin', 'inference-mesh.js'), '--version'], { env: cleanEnv(), timeout: 60_000, killSignal: 'SIGKILL' });
    const loaded = JSON.parse(await readFile(out, 'utf8')) as string[];
    expect(loaded.length).toBeGreaterThan(0); // the preload ran: a CommonJS start loads esm/utils
    // What running an ES module (the entry, or anything it imports) always loads:
    for (const m of ['module_job', 'translators', 'resolve']) expect(loaded).not.toContain(`NativeModule internal/modules/esm/${m}`);
  });

  it('the installed agent starts, answers its health check and stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(bin, ['start', '--port', String(port), '--data-dir', path.join(dir, 'data'), '--mdns-interface', '127.0.0.1'], {
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const health = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
        return res.ok ? ((await res.json()) as unknown) : undefined;
      }, 30_000);
      expect(health).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
    }
    // The agent stops within 5 s on SIGTERM; a hung one is killed rather than left behind.
    const hung = setTimeout(() => child.kill('SIGKILL'), 20_000);
    expect(await exited).toBe(0);
    clearTimeout(hung);
  });
});
