import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigFlags } from '../../../agent/config.js';
import { ConfigError } from '../../../agent/kernel/errors.js';

function files(map: Record<string, string>) {
  return async (file: string): Promise<string> => {
    const text = map[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return text;
  };
}

async function load(opts: { flags?: ConfigFlags; env?: Record<string, string>; file?: unknown } = {}) {
  const text = opts.file === undefined ? undefined : typeof opts.file === 'string' ? opts.file : JSON.stringify(opts.file);
  return loadConfig({
    flags: { ...(text === undefined ? {} : { config: 'agent.config.json' }), ...opts.flags },
    env: opts.env ?? {},
    readFile: files(text === undefined ? {} : { 'agent.config.json': text }),
    hostname: 'box',
  });
}

async function issuesOf(promise: Promise<unknown>): Promise<string[]> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('loadConfig', () => {
  it('runs on defaults without a file; the node name is the hostname', async () => {
    const { config, configPath } = await load();
    expect(configPath).toBeNull();
    expect(config.node.name).toBe('box');
    expect(config.api.port).toBe(7650);
    expect(config.services.ollama.url).toBe('http://127.0.0.1:11434');
    expect(config.services['immich-ml'].url).toBe('http://127.0.0.1:3003');
    expect(config.dataDir).toBeUndefined();
  });

  it('reads the file and keeps defaults for what it leaves out', async () => {
    const { config } = await load({ file: { node: { name: 'hub' }, api: { port: 8000 } } });
    expect(config.node.name).toBe('hub');
    expect(config.api.port).toBe(8000);
    expect(config.api.host).toBe('0.0.0.0');
    expect(config.probes.servicesIntervalSec).toBe(10);
  });

  it('the example agent.config.json at the repo root is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../../agent.config.json', import.meta.url), 'utf8');
    const { config } = await load({ file: text });
    expect(config.api.port).toBe(7650);
  });

  it('precedence: flags > env > file > defaults', async () => {
    const file = { api: { port: 8000 }, dataDir: '/from/file', mesh: { key: 'k'.repeat(20) } };
    expect((await load({ file })).config.api.port).toBe(8000);
    expect((await load({ file, env: { INFERENCE_MESH_PORT: '8100' } })).config.api.port).toBe(8100);
    const both = await load({ file, env: { INFERENCE_MESH_PORT: '8100', INFERENCE_MESH_DATA_DIR: '/from/env' }, flags: { port: '8200' } });
    expect(both.config.api.port).toBe(8200);
    expect(both.config.dataDir).toBe('/from/env');
    expect((await load({ file, env: { INFERENCE_MESH_DATA_DIR: '/from/env' }, flags: { dataDir: '/from/flag' } })).config.dataDir).toBe('/from/flag');
    expect((await load({ file, env: { INFERENCE_MESH_KEY: 'e'.repeat(20) } })).config.mesh.key).toBe('e'.repeat(20));
    expect((await load({ file, env: { INFERENCE_MESH_KEY: 'e'.repeat(20) }, flags: { key: 'f'.repeat(20) } })).config.mesh.key).toBe('f'.repeat(20));
  });

  it('INFERENCE_MESH_CONFIG names the file; --config beats it', async () => {
    const readFile = files({ 'a.json': '{"api":{"port":1111}}', 'b.json': '{"api":{"port":2222}}' });
    const viaEnv = await loadConfig({ flags: {}, env: { INFERENCE_MESH_CONFIG: 'a.json' }, readFile, hostname: 'h' });
    expect(viaEnv.config.api.port).toBe(1111);
    expect(viaEnv.configPath).toBe('a.json');
    const viaFlag = await loadConfig({ flags: { config: 'b.json' }, env: { INFERENCE_MESH_CONFIG: 'a.json' }, readFile, hostname: 'h' });
    expect(viaFlag.config.api.port).toBe(2222);
  });

  it('OLLAMA_HOST follows Ollama parsing and beats the file', async () => {
    const file = { services: { ollama: { url: 'http://10.0.0.5:11434' } } };
    expect((await load({ file, env: { OLLAMA_HOST: ':1234' } })).config.services.ollama.url).toBe('http://127.0.0.1:1234');
    expect((await load({ file, env: { OLLAMA_HOST: 'http://gpu-box' } })).config.services.ollama.url).toBe('http://gpu-box:80');
    expect((await load({ env: { IMMICH_MACHINE_LEARNING_URL: 'http://ml:3003' } })).config.services['immich-ml'].url).toBe('http://ml:3003');
  });

  it('--mdns-interface pins discovery to one address', async () => {
    const { config } = await load({ flags: { mdnsInterface: '127.0.0.1' } });
    expect(config.discovery.mdns.interfaces).toEqual(['127.0.0.1']);
  });

  it('lists every problem of a bad file at once, as path: message', async () => {
    const issues = await issuesOf(
      load({ file: { api: { port: 70000 }, probes: { servicesIntervalSec: 'often' }, servces: {}, services: { ollama: { url: 'ftp://x' } } } }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'api.port: must be a port between 1 and 65535 (or 0 for any free port)',
        expect.stringMatching(/^probes\.servicesIntervalSec: .*expected number/),
        'servces: unknown key',
        'services.ollama.url: must be an http:// or https:// URL',
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('names every unknown key, nested ones included', async () => {
    const issues = await issuesOf(load({ file: { nodes: {}, api: { prot: 1, host: 'x' }, log: { levle: 'debug' } } }));
    expect(issues.sort()).toEqual(['api.prot: unknown key', 'log.levle: unknown key', 'nodes: unknown key']);
  });

  it.each([
    ['{ "api": { "port": 7650, } }', /^\(file\): invalid JSON/],
    ['[1,2]', /^\(file\): must be a JSON object/],
    ['null', /^\(file\): must be a JSON object/],
  ])('rejects a file that is not a JSON object: %s', async (text, pattern) => {
    const issues = await issuesOf(load({ file: text }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(pattern);
  });

  it('a missing --config file is a configuration error, not a silent default', async () => {
    const issues = await issuesOf(loadConfig({ flags: { config: 'nope.json' }, env: {}, readFile: files({}), hostname: 'h' }));
    expect(issues).toEqual(['(file): cannot read nope.json: file not found']);
  });

  it('names the environment variable or flag a bad value came from', async () => {
    expect(await issuesOf(load({ env: { INFERENCE_MESH_PORT: 'seventy' } }))).toEqual([
      'INFERENCE_MESH_PORT: must be a port between 1 and 65535, got "seventy"',
    ]);
    expect(await issuesOf(load({ flags: { port: '99999' } }))).toEqual(['api.port (from --port): must be a port between 1 and 65535 (or 0 for any free port)']);
    expect(await issuesOf(load({ flags: { mdnsInterface: 'eth0' } }))).toEqual([
      'discovery.mdns.interfaces.0 (from --mdns-interface): must be an IPv4 address',
    ]);
    expect(await issuesOf(load({ env: { INFERENCE_MESH_KEY: 'short' } }))).toEqual(['mesh.key (from INFERENCE_MESH_KEY): must be at least 16 characters']);
  });
});
