import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, LOCK_FILE } from '../../../agent/data-dir-lock.js';
import { DataDirLockedError } from '../../../agent/kernel/errors.js';
import { captureLog } from '../../helpers/capture-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alive = (pids: number[]) => (pid: number) => pids.includes(pid);

describe('data dir lock', () => {
  it('refuses a second agent while the first one lives, naming its pid and the directory', async () => {
    const first = await acquireDataDirLock({ dataDir: dir, pid: 100, isProcessAlive: alive([100, 200]), log: captureLog().log });
    const second = acquireDataDirLock({ dataDir: dir, pid: 200, isProcessAlive: alive([100, 200]), log: captureLog().log });
    await expect(second).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(second).rejects.toThrow(`another inference-mesh agent (pid 100) is already using the data directory ${dir}`);
    await first.release();
    const third = await acquireDataDirLock({ dataDir: dir, pid: 200, isProcessAlive: alive([200]), log: captureLog().log });
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).trim()).toBe('200');
    await third.release();
  });

  it('creates a data dir that does not exist yet (first start on a machine)', async () => {
    const fresh = path.join(dir, 'state', 'inference-mesh');
    const lock = await acquireDataDirLock({ dataDir: fresh, pid: 100, isProcessAlive: alive([100]), log: captureLog().log });
    expect((await readFile(path.join(fresh, LOCK_FILE), 'utf8')).trim()).toBe('100');
    await lock.release();
  });

  it('takes over a stale lock whose process is gone', async () => {
    await writeFile(path.join(dir, LOCK_FILE), '4242\n');
    const { log, records } = captureLog();
    const lock = await acquireDataDirLock({ dataDir: dir, pid: 100, isProcessAlive: alive([100]), log });
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).trim()).toBe('100');
    expect(records.some((r) => r.message.includes('stale lock') && r.fields.pid === 4242)).toBe(true);
    await lock.release();
  });

  it('release() leaves a lock that another agent has taken since', async () => {
    const lock = await acquireDataDirLock({ dataDir: dir, pid: 100, isProcessAlive: alive([100]), log: captureLog().log });
    await writeFile(path.join(dir, LOCK_FILE), '300\n');
    await lock.release();
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).trim()).toBe('300');
  });
});
