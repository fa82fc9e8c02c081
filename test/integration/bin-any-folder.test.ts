/**
 * Issue 16, "logs for their reader" and "the development bin breaks the UI outside the repo": `node <checkout>/bin/inference-mesh.js
 * start` run from another folder (what `npm link` gives) must compile the pages with the checkout's
 * JSX settings, not look for a tsconfig.json in the current folder ("React is not defined").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startCliAgent, type RunningAgent } from '../helpers/cli.js';

let dir: string | undefined;
let agent: RunningAgent | undefined;
afterEach(async () => {
  await agent?.stop('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the bin started from /', () => {
  it('serves the web UI; with JOURNAL_STREAM set (under systemd) every log line starts with <N>', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'im-bin-'));
    // One agent for both checks: each start loads the TypeScript tree through tsx.
    agent = await startCliAgent(['--data-dir', dir], { port: await freePort(), cwd: '/', env: { JOURNAL_STREAM: '8:4242' } });
    const res = await fetch(`${agent.url}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Overview');
    expect(agent.output()).not.toContain('React is not defined');
    const logLines = agent.output().trimEnd().split('\n');
    expect(logLines.length).toBeGreaterThan(2);
    for (const line of logLines) expect(line).toMatch(/^<[3467]>\S/);
    expect(logLines.some((l) => l.startsWith('<6>starting inference-mesh'))).toBe(true);
    expect(agent.output()).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/); // the journal stamps the time
  });
});
