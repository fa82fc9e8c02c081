import { execFile } from 'node:child_process';
import { ExecError, type Exec } from './kernel/exec.js';

/** The real `Exec`: child_process.execFile, asynchronous so probes never block the event loop. */
export const nodeExec: Exec = (file, args, opts) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: opts.timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true, ...(opts.signal ? { signal: opts.signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') reject(new ExecError('ENOENT', `${file} not found`, stderr));
        else if (e.killed) reject(new ExecError('ETIMEDOUT', `${file} timed out after ${opts.timeoutMs} ms`, stderr));
        else reject(new ExecError('EXIT', `${file} failed: ${(stderr || e.message).trim().split('\n')[0] ?? ''}`, stderr));
      },
    );
  });
