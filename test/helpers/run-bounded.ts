/**
 * Runs a program to completion in its own process group, bounded by `timeoutMs`. On timeout the
 * whole group is killed (SIGKILL to -pid, kill(2)), so a program that forks (npm → sh → tsc) leaves
 * nothing running after the test has given up (issue 16). POSIX only, as the tests that use it.
 */
import { spawn } from 'node:child_process';

export interface BoundedResult {
  stdout: string;
  stderr: string;
}

export function runBounded(file: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<BoundedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // The leader may exit before its children: take the group down in every case.
      killGroup();
      if (timedOut) reject(new Error(`${file} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms; killed its process group\n${stderr}`));
      else if (code !== 0) reject(new Error(`${file} ${args.join(' ')} exited with ${code ?? signal}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}
