/**
 * One config location per OS, shared by the service and every CLI command (issue 16): the
 * per-user file first, then the machine's; the data dir goes with the file that was found.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findConfigLocation, systemConfigLocation, userConfigLocation } from '../../../agent/config-location.js';
import { cliInProcess } from '../../helpers/cli-io.js';

describe('config locations per OS', () => {
  it.each([
    ['linux', {}, '/home/ann', '/etc/inference-mesh/config.json', '/var/lib/inference-mesh', '/home/ann/.config/inference-mesh/config.json', '/home/ann/.local/state/inference-mesh'],
    ['linux', { XDG_CONFIG_HOME: '/cfg', XDG_STATE_HOME: '/st' }, '/home/ann', '/etc/inference-mesh/config.json', '/var/lib/inference-mesh', '/cfg/inference-mesh/config.json', '/st/inference-mesh'],
    ['linux', { XDG_CONFIG_HOME: 'relative' }, '/home/ann', '/etc/inference-mesh/config.json', '/var/lib/inference-mesh', '/home/ann/.config/inference-mesh/config.json', '/home/ann/.local/state/inference-mesh'],
    [
      'darwin',
      {},
      '/Users/ann',
      '/Library/Application Support/inference-mesh/config.json',
      '/Library/Application Support/inference-mesh',
      '/Users/ann/Library/Application Support/inference-mesh/config.json',
      '/Users/ann/Library/Application Support/inference-mesh',
    ],
    [
      'win32',
      { ProgramData: 'D:\\PD', APPDATA: 'C:\\Users\\ann\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' },
      'C:\\Users\\ann',
      'D:\\PD\\inference-mesh\\config.json',
      'D:\\PD\\inference-mesh',
      'C:\\Users\\ann\\AppData\\Roaming\\inference-mesh\\config.json',
      'C:\\Users\\ann\\AppData\\Local\\inference-mesh',
    ],
    [
      'win32',
      {},
      'C:\\Users\\ann',
      'C:\\ProgramData\\inference-mesh\\config.json',
      'C:\\ProgramData\\inference-mesh',
      'C:\\Users\\ann\\AppData\\Roaming\\inference-mesh\\config.json',
      'C:\\Users\\ann\\AppData\\Local\\inference-mesh',
    ],
  ] as const)('%s %j', (platform, env, homeDir, sysFile, sysData, userFile, userData) => {
    expect(systemConfigLocation({ platform, env })).toEqual({ scope: 'system', configFile: sysFile, dataDir: sysData });
    expect(userConfigLocation({ platform, env, homeDir })).toEqual({ scope: 'user', configFile: userFile, dataDir: userData });
  });

  it('the user file wins over the machine file; neither → null', async () => {
    const info = { platform: 'linux' as const, env: {}, homeDir: '/home/ann' };
    const found = (files: string[]) => findConfigLocation(info, (f) => Promise.resolve(files.includes(f)));
    expect(await found([])).toBeNull();
    expect((await found(['/etc/inference-mesh/config.json']))?.dataDir).toBe('/var/lib/inference-mesh');
    expect((await found(['/etc/inference-mesh/config.json', '/home/ann/.config/inference-mesh/config.json']))?.scope).toBe('user');
  });
});

describe('the CLI reads the shared location', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'im-loc-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("`key` finds the installed service's data dir through the machine's config file", async () => {
    const machineData = path.join(home, 'var-lib');
    await mkdir(machineData);
    await writeFile(path.join(machineData, 'mesh.key'), 'the-service-mesh-key-0123456789\n', { mode: 0o600 });
    // The machine file says nothing about dataDir: the location's own data dir applies. It is
    // /var/lib/inference-mesh on Linux, so point it at the test's folder through the file instead.
    const machineFiles = { '/etc/inference-mesh/config.json': JSON.stringify({ dataDir: machineData }) };
    const key = await cliInProcess(['key'], { homeDir: home, machineFiles });
    expect(key.stdout.trim()).toBe('the-service-mesh-key-0123456789');

    const started = await cliInProcess(['start'], { homeDir: home, machineFiles: { '/etc/inference-mesh/config.json': '{}' } });
    expect(started.started[0]?.resolved.config.dataDir).toBe('/var/lib/inference-mesh');
    expect(started.started[0]?.resolved.configPath).toBe('/etc/inference-mesh/config.json');
  });

  it('a per-user config file is used when present; --config and INFERENCE_MESH_CONFIG still win; none → defaults', async () => {
    const userFile = path.join(home, '.config', 'inference-mesh', 'config.json');
    await mkdir(path.dirname(userFile), { recursive: true });
    await writeFile(userFile, JSON.stringify({ node: { name: 'from-user-file' } }));
    const machineFiles = { '/etc/inference-mesh/config.json': '{}' };
    const fromUser = await cliInProcess(['start'], { homeDir: home, machineFiles });
    expect(fromUser.started[0]?.resolved.config.node.name).toBe('from-user-file');
    expect(fromUser.started[0]?.resolved.config.dataDir).toBe(path.join(home, '.local', 'state', 'inference-mesh'));

    const named = path.join(home, 'named.json');
    await writeFile(named, JSON.stringify({ node: { name: 'named' } }));
    expect((await cliInProcess(['start', '--config', named], { homeDir: home, machineFiles })).started[0]?.resolved.config.node.name).toBe('named');
    const viaEnv = await cliInProcess(['start'], { homeDir: home, machineFiles, env: { INFERENCE_MESH_CONFIG: named } });
    expect(viaEnv.started[0]?.resolved.configPath).toBe(named);

    await rm(userFile);
    const none = await cliInProcess(['start'], { homeDir: home });
    expect(none.started[0]?.resolved.configPath).toBeNull();
    expect(none.started[0]?.resolved.config.node.name).toBe('test-host');
  });

  it('a broken machine config file stops every command with exit 78, naming the file', async () => {
    const r = await cliInProcess(['admin-token'], { homeDir: home, machineFiles: { '/etc/inference-mesh/config.json': '{ "api": ' } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('/etc/inference-mesh/config.json');
    expect(r.stderr).toContain('(file): invalid JSON');
  });
});
