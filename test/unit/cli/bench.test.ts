/**
 * `inference-mesh bench` (issue 15) against a stand-in agent on loopback: it sends the model and
 * this machine's admin credential, and prints the answer as an aligned table or as JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatBench } from '../../../agent/cli/bench-command.js';
import type { BenchAnswer } from '../../../agent/kernel/shapes/bench.js';
import { cliInProcess } from '../../helpers/cli-io.js';

const TOKEN = 'a'.repeat(43);
const ANSWER: BenchAnswer = {
  atMs: 1,
  model: 'llama3.2:3b',
  nodes: [
    { nodeId: '1'.repeat(32), name: 'hub', gpu: null, model: 'llama3.2:3b', genTokPerSec: 8, promptTokPerSec: 61.3, ttftMs: 912.4, loadMs: 2140 },
    { nodeId: '2'.repeat(32), name: 'gaming-pc', gpu: 'NVIDIA GeForce RTX 4080', model: 'llama3.2:3b', genTokPerSec: 120.4, promptTokPerSec: 1500, ttftMs: 95.2, loadMs: 0.4 },
    { nodeId: '3'.repeat(32), name: 'workstation', gpu: 'NVIDIA GeForce RTX 3060', model: 'llama3.2:3b', skipped: 'in a game (cs2.exe)' },
  ],
};

let home: string;
let server: http.Server;
let seen: { auth: string | undefined; body: string }[];

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'im-bench-'));
  await writeFile(path.join(home, 'admin.token'), TOKEN, { mode: 0o600 });
  seen = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body });
      const ok = req.method === 'POST' && req.url === '/api/v1/bench';
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? ANSWER : { error: { code: 'not_found', message: 'no route' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(home, { recursive: true, force: true });
});

const url = (): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const cli = (...argv: string[]) => cliInProcess(['bench', '--url', url(), '--data-dir', home, ...argv], { homeDir: home });

describe('inference-mesh bench', () => {
  it('asks for the model with the admin credential and prints a side-by-side table', async () => {
    const r = await cli('--model', 'llama3.2:3b');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen).toEqual([{ auth: `Bearer ${TOKEN}`, body: '{"model":"llama3.2:3b"}' }]);
    expect(r.stdout).toBe(`${formatBench(ANSWER)}\n`);
  });

  it('without --model lets the agent choose; --json prints the answer as it came', async () => {
    const r = await cli('--json');
    expect(r.code).toBe(0);
    expect(seen[0]?.body).toBe('{}');
    expect(JSON.parse(r.stdout)).toEqual(ANSWER);
  });

  it('the table: one row per node, figures right-aligned under their heading, skipped nodes with the reason', () => {
    const lines = formatBench(ANSWER).split('\n');
    expect(lines[0]).toMatch(/^llama3\.2:3b: one node at a time/);
    expect(lines[1]).toMatch(/^node +GPU +tok\/s +prompt tok\/s +first token +load$/);
    expect(lines[2]).toMatch(/^hub +none \(CPU\) +8\.0 +61\.3 +912 ms +2\.1 s$/);
    expect(lines[3]).toMatch(/^gaming-pc +NVIDIA GeForce RTX 4080 +120 +1500 +95 ms +0 ms$/);
    expect(lines[4]).toMatch(/^workstation +NVIDIA GeForce RTX 3060 +skipped: in a game \(cs2\.exe\)$/);
    // Right-aligned: each figure ends where its heading ends.
    const end = (line: string, text: string): number => line.indexOf(text) + text.length;
    for (const row of [lines[2] ?? '', lines[3] ?? '']) {
      expect(end(row, row.includes('120') ? '120' : '8.0')).toBe(end(lines[1] ?? '', 'tok/s'));
      expect(row.length).toBe(lines[1]?.length);
    }
  });

  it('an agent that refuses says why, exit 1', async () => {
    const r = await cliInProcess(['bench', '--url', `${url()}/nope`, '--data-dir', home], { homeDir: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no route/);
  });
});
