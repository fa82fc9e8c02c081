/**
 * One agent per data directory: a lock file holding the owner's pid. A lock whose process is gone
 * (a crash, a power cut) is stale and taken over, so a crash never needs manual cleanup.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { diskWriteError } from './kernel/disk-error.js';
import { AgentError, DataDirLockedError } from './kernel/errors.js';
import type { Logger } from './kernel/log.js';

export const LOCK_FILE = 'agent.lock';

export interface DataDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  dataDir: string;
  pid: number;
  /** True when a process with this pid exists (main.ts: `process.kill(pid, 0)`). */
  isProcessAlive: (pid: number) => boolean;
  log: Logger;
}

export async function acquireDataDirLock(opts: LockOptions): Promise<DataDirLock> {
  const file = path.join(opts.dataDir, LOCK_FILE);
  // First start on a machine: the per-user state directory does not exist yet (0700: it holds the mesh key).
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw diskWriteError('data_dir_unwritable', opts.dataDir, err, 'the data directory');
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${opts.pid}\n`);
      } catch (err) {
        // An empty lock (a full disk) would name no owner: never leave it behind.
        await handle.close();
        await unlink(file).catch(() => undefined);
        throw diskWriteError('data_dir_unwritable', file, err, 'the lock');
      }
      await handle.close();
      return {
        async release() {
          // Remove it only while it is still ours.
          const owner = await readOwner(file);
          if (owner === opts.pid) await unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if (err instanceof AgentError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw diskWriteError('data_dir_unwritable', file, err, 'the lock');
    }
    const owner = await readOwner(file);
    if (owner !== null && owner !== opts.pid && opts.isProcessAlive(owner)) throw new DataDirLockedError(opts.dataDir, owner);
    opts.log.info('removing a stale lock left by a process that is gone', { file, pid: owner });
    await unlink(file).catch(() => undefined);
  }
  throw new DataDirLockedError(opts.dataDir, (await readOwner(file)) ?? -1);
}

async function readOwner(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
