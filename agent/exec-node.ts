import { execFile as nodeExecFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ExecError, type Exec } from './kernel/exec.js';

export interface NodeExecOptions {
  /** The environment programs start with, and whose PATH is searched (main.ts passes `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  /** child_process.execFile; tests wrap it to count the programs started. */
  execFile?: typeof nodeExecFile;
}

/**
 * The real `Exec`: child_process.execFile, asynchronous so probes never block the event loop.
 *
 * On POSIX a bare program name is first looked up on PATH, and one that no PATH directory holds
 * rejects with `ENOENT` without starting anything. Why (issue 17): forking the agent (tens of MB of
 * page tables) to learn that `nvidia-smi` is not installed cost ~10 ms of CPU at every start of a
 * machine without an NVIDIA driver, the hub's usual case, and 20 agents after a power cut share the
 * bench box's 2 cores. Only absence is decided here: any entry of that name (not executable, a
 * directory) is left to execFile, so its error stays the one it was. Windows adds PATHEXT and the
 * current directory to the search: there execFile alone decides.
 */
export function createNodeExec(opts: NodeExecOptions): Exec {
  const execFile = opts.execFile ?? nodeExecFile;
  return async (file, args, execOpts) => {
    if (opts.platform !== 'win32' && !file.includes('/') && !(await onSearchPath(file, opts.env.PATH))) {
      throw new ExecError('ENOENT', `${file} not found`);
    }
    return new Promise((resolve, reject) => {
      execFile(
        file,
        [...args],
        { env: opts.env, timeout: execOpts.timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true, ...(execOpts.signal ? { signal: execOpts.signal } : {}) },
        (err, stdout, stderr) => {
          if (!err) {
            resolve({ stdout, stderr });
            return;
          }
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') reject(new ExecError('ENOENT', `${file} not found`, stderr));
          else if (e.killed) reject(new ExecError('ETIMEDOUT', `${file} timed out after ${execOpts.timeoutMs} ms`, stderr));
          else reject(new ExecError('EXIT', `${file} failed: ${(stderr || e.message).trim().split('\n')[0] ?? ''}`, stderr));
        },
      );
    });
  };
}

/**
 * Whether some directory of `searchPath` holds an entry named `file`, as execvp(3) searches it: an
 * empty entry is the current directory, and an unset PATH is execvp's default, `/bin:/usr/bin`.
 */
async function onSearchPath(file: string, searchPath: string | undefined): Promise<boolean> {
  const dirs = (searchPath ?? '/bin:/usr/bin').split(':').map((d) => (d === '' ? '.' : d));
  const found = await Promise.all(
    dirs.map((d) =>
      stat(path.join(d, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.includes(true);
}
