/**
 * `inference-mesh join` (issue 11): the key from standard input, a prompt or --key-file, checked,
 * and kept in mesh.key (0600) where the agent and `inference-mesh key` find it.
 */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { permissionHint } from '../../../agent/cli/run-cli.js';
import { AgentError } from '../../../agent/kernel/errors.js';
import { meshFingerprint } from '../../../discovery/mesh-key.js';
import { cliInProcess } from '../../helpers/cli-io.js';

const KEY = 'Zm9vYmFyYmF6cXV4LXRoZS1tZXNoLWtleS0xMjM0NTY';
let home: string;
let dataDir: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'im-join-'));
  dataDir = path.join(home, 'data');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('inference-mesh join', () => {
  it('reads the key from standard input, stores it 0600 and `key` prints it back', async () => {
    const r = await cliInProcess(['join', '--data-dir', dataDir], { homeDir: home, stdin: `  ${KEY}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`joined mesh ${meshFingerprint(KEY)}`);
    expect(r.stdout).not.toContain(KEY);
    expect(await readFile(path.join(dataDir, 'mesh.key'), 'utf8')).toBe(`${KEY}\n`);
    expect((await stat(path.join(dataDir, 'mesh.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dataDir)).toEqual(['mesh.key']); // no temp file left behind
    const key = await cliInProcess(['key', '--data-dir', dataDir], { homeDir: home });
    expect(key.stdout.trim()).toBe(KEY);
  });

  it('asks on a terminal (the prompt answers) and reads --key-file', async () => {
    const prompted = await cliInProcess(['join', '--data-dir', dataDir], { homeDir: home, prompt: KEY });
    expect(prompted.code).toBe(0);
    const file = path.join(home, 'key.txt');
    const other = `${KEY}-other`;
    await writeFile(file, `${other}\n`);
    const fromFile = await cliInProcess(['join', '--data-dir', dataDir, '--key-file', file], { homeDir: home });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain(`joined mesh ${meshFingerprint(other)}`);
    expect(fromFile.stdout).toContain(`it was in mesh ${meshFingerprint(KEY)}`);
    const again = await cliInProcess(['join', '--data-dir', dataDir, '--key-file', file], { homeDir: home });
    expect(again.stdout).toContain('nothing changed');
  });

  it.each([
    ['', /no key given on standard input/],
    ['short-key', /not a mesh key \(shorter than 16 characters\)/],
    [`${KEY} ${KEY}`, /more than one word/],
  ])('refuses %j on standard input, exit 1, nothing stored', async (input, message) => {
    const r = await cliInProcess(['join', '--data-dir', dataDir], { homeDir: home, stdin: input });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    await expect(stat(path.join(dataDir, 'mesh.key'))).rejects.toThrow(/ENOENT/);
  });

  it('a missing --key-file is named; a key in the environment is said to win', async () => {
    const missing = await cliInProcess(['join', '--data-dir', dataDir, '--key-file', path.join(home, 'nope')], { homeDir: home });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read the key file ${path.join(home, 'nope')}: file not found`);
    const shadowed = await cliInProcess(['join', '--data-dir', dataDir], { homeDir: home, stdin: KEY, env: { INFERENCE_MESH_KEY: `${KEY}-env` } });
    expect(shadowed.code).toBe(0);
    expect(shadowed.stderr).toMatch(/INFERENCE_MESH_KEY or mesh.key in the config file is set and wins/);
  });

  it.skipIf(process.getuid?.() !== 0)("run as root, the key takes the data dir's owner (a service's own user must read it)", async () => {
    const { chown } = await import('node:fs/promises');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir, { mode: 0o700 });
    await chown(dataDir, 4242, 4343);
    const r = await cliInProcess(['join', '--data-dir', dataDir], { homeDir: home, stdin: KEY });
    expect(r.code).toBe(0);
    const info = await stat(path.join(dataDir, 'mesh.key'));
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([4242, 4343, 0o600]);
  });

  it('a data dir it cannot write: exit 1 naming the file', async () => {
    const blocker = path.join(home, 'file');
    await writeFile(blocker, 'not a directory');
    const r = await cliInProcess(['join', '--data-dir', path.join(blocker, 'data')], { homeDir: home, stdin: KEY });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/inference-mesh: .*ENOTDIR/);
  });
});

describe('secrets of a service that runs as its own user', () => {
  it('an unreadable key or credential (EACCES) gets the sudo hint; other failures do not', () => {
    const denied = new AgentError('mesh_key_unreadable', 'cannot read the mesh key file /var/lib/inference-mesh/mesh.key: EACCES: permission denied');
    expect(permissionHint(denied)).toContain('run the command with sudo');
    expect(permissionHint(new AgentError('admin_token_unreadable', 'cannot read …: EPERM'))).toContain('sudo');
    expect(permissionHint(new AgentError('mesh_key_unreadable', 'cannot read …: EISDIR'))).toBe('');
    expect(permissionHint(new Error('EACCES'))).toBe('');
  });
});
