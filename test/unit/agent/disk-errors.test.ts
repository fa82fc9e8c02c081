/**
 * Disk errors name the file and the fix and leave no temporary file behind (issue 11: a full disk at
 * start said `ENOSPC … write` and left a 0-byte `.state.json.tmp`). The full disk is real: a 64 KiB
 * tmpfs in a private mount namespace (root only; CI runs as root), filled before the store opens.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskWriteError } from '../../../agent/kernel/disk-error.js';
import { freshState } from '../../../agent/identity.js';
import { openStore, STATE_FILE } from '../../../agent/store.js';
import { captureLog } from '../../helpers/capture-log.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed, write`), { code });

describe('disk write errors', () => {
  it.each([
    ['ENOSPC', 'the disk is full; free some space on the disk that holds /var/lib/im'],
    ['EACCES', 'permission denied; make /var/lib/im writable by the user the agent runs as'],
    ['EROFS', 'the file system is read-only; choose a writable data directory with --data-dir'],
  ])('%s names the file and the fix', (code, fix) => {
    const err = diskWriteError('state_unwritable', '/var/lib/im/state.json', errno(code), 'the state');
    expect(err.code).toBe('state_unwritable');
    expect(err.message).toContain('could not write the state to /var/lib/im/state.json: ');
    expect(err.message).toContain(fix);
    expect(err.message).toContain(`(${code})`);
  });

  it('another error is described as it is', () => {
    expect(diskWriteError('x', '/d/f', new Error('boom')).message).toBe('could not write /d/f: boom');
  });
});

describe('state store write failures', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'im-disk-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a failed update names the file and removes steno\'s temporary file', async () => {
    const store = await openStore({ dataDir: dir, nowMs: () => 0, log: captureLog().log, initial: freshState });
    // rename(2) of the temporary file over a directory fails: the write cannot complete.
    await rm(path.join(dir, STATE_FILE));
    await mkdir(path.join(dir, STATE_FILE));
    await expect(store.update((s) => void s)).rejects.toMatchObject({ code: 'state_unwritable', message: expect.stringContaining(`to ${path.join(dir, STATE_FILE)}:`) as unknown });
    expect(await readdir(dir)).toEqual([STATE_FILE]);
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk at start: state_unwritable naming state.json and the fix, no .state.json.tmp left', async () => {
    const mount = path.join(dir, 'full');
    await mkdir(mount);
    const script = [
      `import { openStore } from ${JSON.stringify(path.join(ROOT, 'agent/store.ts'))};`,
      `import { freshState } from ${JSON.stringify(path.join(ROOT, 'agent/identity.ts'))};`,
      `import { silentLogger } from ${JSON.stringify(path.join(ROOT, 'agent/kernel/log.ts'))};`,
      "import { readdirSync } from 'node:fs';",
      `const dataDir = ${JSON.stringify(path.join(mount, 'data'))};`,
      'let result;',
      'try { await openStore({ dataDir, nowMs: () => 0, log: silentLogger, initial: freshState }); result = { opened: true }; }',
      'catch (e) { result = { code: e.code, message: e.message }; }',
      'console.log(JSON.stringify({ ...result, files: readdirSync(dataDir) }));',
    ].join('\n');
    // The mount lives and dies with the namespace of this one command: nothing to unmount.
    const shell = `mount -t tmpfs -o size=64k tmpfs '${mount}' && (dd if=/dev/zero of='${mount}/filler' bs=4k count=100 2>/dev/null; true) && exec node --import tsx --input-type=module -e "$SCRIPT"`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile('unshare', ['-m', '--propagation', 'private', 'sh', '-c', shell], { cwd: ROOT, env: { ...process.env, SCRIPT: script }, timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { code?: string; message?: string; files?: string[] };
    expect(result.code).toBe('state_unwritable');
    expect(result.message).toContain(`${path.join(mount, 'data', STATE_FILE)}: the disk is full`);
    expect(result.files).toEqual([]);
  });
});
