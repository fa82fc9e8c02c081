/**
 * The command as a user runs it: real sockets, a real state file, and a fake Ollama that follows
 * PROTOCOLS.md §1 (Ollama itself cannot be installed here). Agents run as real child processes
 * (signals, exit codes, the data-dir lock); the client commands run in process through runCli
 * (test/helpers/cli-io.ts), because a child per call loads the TypeScript tree through tsx, ~6 s
 * each on a loaded 2-core machine (issue 16). A few child-process calls check the real bin.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeOllama } from '../fakes/fake-ollama.js';
import { cliInProcess } from '../helpers/cli-io.js';
import { BIN, cleanEnv, eventually, freePort, runCli as runChild, startCliAgent, type RunningAgent } from '../helpers/cli.js';

let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-cli-'));
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in process, with the test's folder as the user's home and no agent variables set. */
const runCli = (argv: string[], env: Record<string, string> = {}) => cliInProcess(argv, { homeDir: dir, env });

async function agent(args: string[], env: Record<string, string> = {}): Promise<RunningAgent> {
  const port = await freePort();
  const a = await startCliAgent(['--data-dir', dir, ...args], { port, env });
  cleanups.push(() => a.stop('SIGKILL'));
  return a;
}

async function writeConfig(config: unknown): Promise<string> {
  const file = path.join(dir, 'agent.config.json');
  await writeFile(file, JSON.stringify(config));
  return file;
}

// Each real agent loads the TypeScript tree through tsx: ~6 s on a loaded 2-core machine, and some
// tests start three. A bound for a busy CI, not a timing assertion.
describe('inference-mesh CLI', { timeout: 120_000 }, () => {
  it("the real bin: a command's --help exits 0, an unknown command or flag exits 2 with a suggestion", async () => {
    const help = await runChild(['status', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: inference-mesh status /);
    const bad = await runChild(['stauts']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown command 'stauts'");
    expect(bad.stderr).toContain('(Did you mean status?)');
    const flag = await runChild(['start', '--colour', 'blue']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--colour'/);
  });

  it('the real bin: join reads the key piped to it and keeps it where `key` finds it', async () => {
    const key = 'a-mesh-key-from-the-hub-0123456789';
    const joined = await runChild(['join', '--data-dir', dir], { input: `${key}\n` });
    expect(joined.code).toBe(0);
    expect(joined.stdout).toMatch(/^joined mesh [0-9a-f]{16}: stored the key in /);
    expect((await runCli(['key', '--data-dir', dir])).stdout.trim()).toBe(key);
  });

  it('a config file with three mistakes prints all three and exits 78 before anything starts', async () => {
    const file = await writeConfig({ api: { port: 99999 }, probes: { servicesIntervalSec: 'fast' }, colour: 'blue' });
    const res = await runCli(['start', '--config', file, '--data-dir', path.join(dir, 'data')]);
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('api.port: must be a port between 1 and 65535');
    expect(res.stderr).toMatch(/probes\.servicesIntervalSec: .*expected number/);
    expect(res.stderr).toContain('colour: unknown key');
    expect(res.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    expect(await readdir(dir)).not.toContain('data'); // nothing started
  });

  it('invalid JSON in the config file exits 78 with the parser message', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, '{ "api": ');
    const res = await runCli(['start', '--config', file]);
    expect(res.code).toBe(78);
    expect(res.stderr).toMatch(/\(file\): invalid JSON/);
  });

  it('status with no agent running: one readable line and exit 1', async () => {
    const port = await freePort();
    const res = await runCli(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(`no agent answering at http://127.0.0.1:${port}`);
    expect(res.stderr).toContain('connection refused');
  });

  it('status shows the fake Ollama models; stopping the fake shows Ollama down with the reason', async () => {
    const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }, { name: 'qwen2.5:7b' }] });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const file = await writeConfig({ node: { name: 'cli-test' }, probes: { servicesIntervalSec: 1 }, services: { 'immich-ml': { enabled: false } } });
    const a = await agent(['--config', file], { OLLAMA_HOST: ollama.url });

    const up = await eventually(async () => {
      const r = await runCli(['status', '--url', a.url]);
      // Models and hardware come from separate probes: wait for both, whatever the machine's load.
      return r.stdout.includes('llama3.2:3b') && /^CPU\s+\S/m.test(r.stdout) ? r : undefined;
    });
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^Node\s+cli-test/m);
    expect(up.stdout).toMatch(/^Ollama\s+up · version 0\.33\.0/m);
    expect(up.stdout).toContain('qwen2.5:7b');
    expect(up.stdout).toMatch(/^CPU\s+\S/m);

    const json = JSON.parse((await runCli(['status', '--url', a.url, '--json'])).stdout) as { node: { services: { ollama: { models: { name: string }[] } } } };
    expect(json.node.services.ollama.models.map((m) => m.name).sort()).toEqual(['llama3.2:3b', 'qwen2.5:7b']);
    expect(up.stdout).toMatch(/^Ollama\s+→ cli-test \(CPU\) — always offered$/m);

    await ollama.stop();
    const down = await eventually(async () => {
      const r = await runCli(['status', '--url', a.url]);
      return /^Ollama\s+down/m.test(r.stdout) ? r : undefined;
    });
    expect(down.stdout).toMatch(/^Ollama\s+down · connection refused at http:\/\/127\.0\.0\.1:\d+/m);
    expect(a.output()).toMatch(/WARN .*Ollama is down .*reason="connection refused/);
  });

  it('SIGTERM exits 0; a restart keeps the node id; a second agent on the same data dir refuses; --key warns once', async () => {
    const first = await agent(['--key', 'a-key-typed-on-the-command-line']);
    // issue 11: the key sits in the process list for the agent's whole life.
    expect(first.output().match(/WARN .*--key leaves the mesh key visible to every user of this machine in the process list/g)).toHaveLength(1);
    const id = ((await (await fetch(`${first.url}/api/v1/node`)).json()) as { nodeId: string }).nodeId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);

    const port = await freePort();
    const second = await runChild(['start', '--data-dir', dir, '--port', String(port)]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another inference-mesh agent \(pid \d+\) is already using the data directory/);

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('stopped');

    const again = await agent([]);
    const id2 = ((await (await fetch(`${again.url}/api/v1/node`)).json()) as { nodeId: string }).nodeId;
    expect(id2).toBe(id);
    expect(again.output()).not.toContain('--key leaves');
    expect((await runCli(['key', '--data-dir', dir])).stdout.trim()).toBe('a-key-typed-on-the-command-line');
    expect(await again.stop('SIGINT')).toBe(0);
  });

  it('key prints the mesh key kept (mode 0600) in the data dir; offer and pin steer the placement', async () => {
    const noKey = await runCli(['key', '--data-dir', path.join(dir, 'empty')]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/no mesh key in .* yet; start the agent once/);

    const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }] });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const file = await writeConfig({ node: { name: 'solo' }, probes: { servicesIntervalSec: 1 }, services: { 'immich-ml': { enabled: false } } });
    const a = await agent(['--config', file], { OLLAMA_HOST: ollama.url });
    await eventually(async () => ((await runCli(['placement', '--url', a.url])).stdout.includes('Ollama → solo') ? true : undefined));
    const key = await runCli(['key', '--data-dir', dir]);
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { stat } = await import('node:fs/promises');
    expect((await stat(path.join(dir, 'mesh.key'))).mode & 0o777).toBe(0o600);

    const denied = await runCli(['offer', 'off', '--url', a.url, '--data-dir', path.join(dir, 'elsewhere')]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/needs the admin credential/);
    const off = await runCli(['offer', 'off', '2h', '--url', a.url, '--data-dir', dir]);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/✗ solo\s+taken out manually until \d\d:\d\d/);
    const json = JSON.parse((await runCli(['offer', 'auto', '--json', '--url', a.url, '--data-dir', dir])).stdout) as { offer: unknown };
    expect(json.offer).toBeNull();
    const badPin = await runCli(['pin', 'comfyui', 'solo', '--url', a.url]);
    expect(badPin.code).toBe(2);
    expect(badPin.stderr).toContain("'comfyui' is invalid for argument 'kind'");
    const badDuration = await runCli(['offer', 'now', 'soon', '--url', a.url]);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('"soon" is not a duration');
    expect((await runCli(['admin-token', '--data-dir', dir])).stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const unknownNode = await runCli(['pin', 'ollama', 'nope', '--url', a.url, '--data-dir', dir]);
    expect(unknownNode.code).toBe(1);
    expect(unknownNode.stderr).toContain('no node named "nope"');

    // A setting saved on the Setup page overrides the file until `settings reset` drops it (issue 12).
    const token = (await runCli(['admin-token', '--data-dir', dir])).stdout.trim();
    const saved = await fetch(`${a.url}/api/v1/settings`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ offer: { coolDownSec: 30 } }) });
    expect(((await saved.json()) as { overridden: string[] }).overridden).toEqual(['offer.coolDownSec']);
    const reset = await runCli(['settings', 'reset', 'offer.coolDownSec', '--url', a.url, '--data-dir', dir]);
    expect(reset).toMatchObject({ code: 0, stdout: 'the config file decides again: offer.coolDownSec\n' });
    expect((await runCli(['settings', 'reset', '--url', a.url, '--data-dir', dir])).stdout).toContain('nothing to reset');
    expect((await runCli(['settings', 'clear', '--url', a.url])).code).toBe(2);
  });

  it('doctor finds the agent port taken by another program and says how to fix it; --json gives the results', async () => {
    const net = await import('node:net');
    // Another program on the port: it takes connections and closes them (not an agent).
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;
    const file = await writeConfig({ api: { host: '127.0.0.1' } });
    const text = await runCli(['doctor', '--config', file, '--port', String(port)]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`✗ Agent port: .*port ${port}`));
    expect(text.stdout).toMatch(/fix: /);
    const json = await runCli(['doctor', '--json', '--config', file, '--port', String(port)]);
    const results = JSON.parse(json.stdout) as { id: string; status: string }[];
    expect(results.find((r) => r.id === 'agent-port')?.status).toBe('problem');
  });

  it('a second signal during a slow stop exits at once', async () => {
    // A routed request to an Ollama that never answers keeps the HTTP server draining on stop.
    const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }], hang: 'inference' });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const file = await writeConfig({ probes: { servicesIntervalSec: 1 }, services: { 'immich-ml': { enabled: false } } });
    const a = await agent(['--config', file], { OLLAMA_HOST: ollama.url });
    await eventually(async () => ((await runCli(['placement', '--json', '--url', a.url])).stdout.includes('"eligible": true') ? true : undefined));
    const pending = fetch(`${a.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'x' }) }).catch(() => undefined);
    await ollama.waitForCall((c) => c.path === '/api/generate');
    a.child.kill('SIGTERM');
    await eventually(async () => (a.output().includes('stopping signal=SIGTERM') ? true : undefined));
    a.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(1);
    expect(a.output()).toContain('second signal: exiting now');
    await pending;
  });

  it('the port taken by another program: a clear message and exit 1', async () => {
    const first = await agent([]);
    const port = Number(new URL(first.url).port);
    const res = await runChild(['start', '--data-dir', path.join(dir, 'other'), '--port', String(port)]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`port ${port} on 0.0.0.0 is already in use`);
  });

  it('a reader that stops early (`| head -1`) ends the output quietly: exit 0, no EPIPE trace', async () => {
    const child = spawn(process.execPath, [BIN, 'bench', '--help'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before the CLI writes a byte: its first write meets EPIPE
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
