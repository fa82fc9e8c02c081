/**
 * Issue 16, "a CLI that explains itself": every command prints its own usage on --help (exit 0),
 * typos get a suggestion, and usage errors keep exit 2 (README "Stopping").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../../agent/cli/parse-args.js';
import { cliInProcess } from '../../helpers/cli-io.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'im-help-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const cli = (...argv: string[]) => cliInProcess(argv, { homeDir: home });

/** An option or argument each command's own usage must mention: proof it is that command's text. */
const OWN_WORDS: Record<(typeof COMMAND_NAMES)[number], string> = {
  start: '--mdns-interface',
  join: '--key-file',
  status: '--timeout-ms',
  nodes: '--timeout-ms',
  placement: '--url',
  bench: '--model',
  offer: '<mode> [duration]',
  pin: '<kind> <node> [duration]',
  unpin: '<kind>',
  settings: '<action> [keys...]',
  key: '--data-dir',
  'admin-token': '--data-dir',
  doctor: '--port',
  service: '--dry-run',
  version: 'print the version',
};

describe('inference-mesh <command> --help', () => {
  it.each(COMMAND_NAMES)('%s --help prints its own usage and exits 0', async (name) => {
    for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: inference-mesh ${name} `));
      expect(r.stdout).toContain(OWN_WORDS[name]);
      expect(r.stderr).toBe('');
      expect(r.started).toEqual([]);
    }
  });

  it('the top-level help lists every command, start first; --version prints the version', async () => {
    for (const argv of [['--help'], ['help'], ['-h']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(0);
      for (const name of COMMAND_NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
      expect(r.stdout).toMatch(/start .*\n.*join .*\n.*status/s);
    }
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await cli('version')).stdout).toBe(v.stdout);
  });
});

describe('usage errors exit 2 with a clear message', () => {
  it.each([
    [['stauts'], /unknown command 'stauts'\n\(Did you mean status\?\)/],
    [['doctr'], /\(Did you mean doctor\?\)/],
    [['status', '--jsn'], /unknown option '--jsn'\n\(Did you mean --json\?\)/],
    [['start', '--colour', 'blue'], /unknown option '--colour'/],
    [['start', '--prot', '1'], /\(Did you mean --port\?\)/],
    [['pin', 'comfyui', 'solo'], /'comfyui' is invalid for argument 'kind'. Allowed choices are ollama, immich-ml, whisper/],
    [['offer', 'now', 'soon'], /"soon" is not a duration/],
    [['offer', 'auto', '2h'], /offer auto takes no duration/],
    [['offer', 'maybe'], /Allowed choices are now, off, auto/],
    [['unpin'], /missing required argument 'kind'/],
    [['service'], /missing required argument 'action'/],
    [['service', 'install', 'now'], /too many arguments for 'service'/],
    [['status', '--timeout-ms', '0'], /--timeout-ms .*must be a positive whole number/],
    [['start', '--log-format', 'xml'], /Allowed choices are text, journal, json/],
    [[], /no command given/],
  ])('%j', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/inference-mesh --help|Usage: inference-mesh/);
    expect(r.stdout).toBe('');
    expect(r.started).toEqual([]);
  });
});

describe('parsed commands', () => {
  it('start passes its flags, the log format and whether the key was on the command line', async () => {
    const dataDir = path.join(home, 'data');
    const r = await cli('start', '--data-dir', dataDir, '--port', '7777', '--mdns-interface', '127.0.0.1', '--log-format', 'json', '--key', 'k'.repeat(20));
    expect(r.code).toBe(0);
    expect(r.started).toHaveLength(1);
    const [s] = r.started;
    expect(s?.resolved.config.dataDir).toBe(dataDir);
    expect(s?.resolved.config.api.port).toBe(7777);
    expect(s?.resolved.config.discovery.mdns.interfaces).toEqual(['127.0.0.1']);
    expect(s?.logFormat).toBe('json');
    expect(s?.keyOnCommandLine).toBe(true);
    expect((await cli('start', '--data-dir', dataDir)).started[0]?.keyOnCommandLine).toBe(false);
  });

  it('a bad configuration exits 78 with every problem, before start runs', async () => {
    const r = await cliInProcess(['start', '--port', 'eighty'], { homeDir: home, env: { INFERENCE_MESH_PORT: '99999' } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('--port: must be a port between 1 and 65535, got "eighty"');
    expect(r.started).toEqual([]);
  });
});
