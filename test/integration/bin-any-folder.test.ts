/**
 * Issue 16, "the development bin breaks the UI outside the repo" and "logs for their reader":
 * `node <checkout>/bin/inference-mesh.js start` run from another folder (what `npm link` gives)
 * must compile the pages with the checkout's JSX settings, not look for a tsconfig.json in the
 * current folder ("React is not defined"); and under systemd (stderr is the stream JOURNAL_STREAM
 * names) every line starts with a `<N>` priority and carries no timestamp.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, eventually, freePort, startCliAgent, type RunningAgent } from '../helpers/cli.js';

let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function tempDir(): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-bin-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The bin with stderr on a file, as systemd connects it to the journal, and JOURNAL_STREAM naming it. */
async function startUnderJournal(args: string[]): Promise<{ child: ChildProcess; log: () => Promise<string>; exited: Promise<number | null> }> {
  const file = path.join(dir, 'journal.log');
  const handle = await open(file, 'w');
  const { dev, ino } = await handle.stat();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: '/', env: cleanEnv({ JOURNAL_STREAM: `${dev}:${ino}` }), stdio: ['ignore', 'ignore', handle.fd] });
  await handle.close();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, log: () => readFile(file, 'utf8'), exited };
}

// Each real agent loads the TypeScript tree through tsx: ~6 s on a loaded 2-core machine, and some
// tests start three. A bound for a busy CI, not a timing assertion.
describe('the bin started from /', { timeout: 120_000 }, () => {
  it('serves the web UI; a JOURNAL_STREAM that is not its stderr keeps the terminal format', async () => {
    await tempDir();
    const agent: RunningAgent = await startCliAgent(['--data-dir', dir], { port: await freePort(), cwd: '/', env: { JOURNAL_STREAM: '8:4242' } });
    cleanups.push(() => agent.stop('SIGKILL'));
    const res = await fetch(`${agent.url}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Overview');
    expect(agent.output()).not.toContain('React is not defined');
    expect(agent.output()).toMatch(/^\d{4}-\d\d-\d\dT\S+ INFO {2}starting inference-mesh/m);
  });

  it('under the journal every log line starts with <N> and has no timestamp; a bad config is <3>', async () => {
    await tempDir();
    const port = await freePort();
    const agent = await startUnderJournal(['start', '--port', String(port), '--data-dir', path.join(dir, 'data'), '--mdns-interface', '127.0.0.1']);
    await eventually(async () => ((await agent.log()).includes('agent ready') ? true : undefined), 60_000);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const lines = (await agent.log()).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^<[3467]>\S/);
    expect(lines).toContain('<6>stopped');
    expect(lines.some((l) => l.startsWith('<6>starting inference-mesh'))).toBe(true);
    expect(lines.some((l) => l.startsWith('<4>node: Ollama is down'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/); // the journal stamps the time

    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ api: { port: 99999 } }));
    const failed = await startUnderJournal(['start', '--config', bad]);
    expect(await failed.exited).toBe(78);
    const out = (await failed.log()).trimEnd().split('\n');
    expect(out[0]).toMatch(/^<3>inference-mesh: invalid configuration/);
    expect(out.some((l) => l.startsWith('<3>  api.port: must be a port between 1 and 65535'))).toBe(true);
    for (const line of out) expect(line).toMatch(/^<3>/);
  });
});
