/**
 * Runs the CLI in process (agent/cli/run-cli.ts) with its output collected as strings: the same
 * code path as the installed command minus the child process, which costs ~6 s per call on a
 * loaded 2-core machine (issue 16). Real fetch, real clock, real files in the test's own folders.
 */
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock } from '../../agent/kernel/clock.js';
import { createNodeDoctorDeps } from '../../agent/doctor/node-deps.js';
import { ExecError } from '../../agent/kernel/exec.js';
import { runCli, type CliIo, type ResolvedConfig } from '../../agent/cli/run-cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** What `start` was asked to run with (start itself is not run in process). */
  started: { resolved: ResolvedConfig; keyOnCommandLine: boolean; logFormat: string | undefined }[];
}

export interface InProcessOptions {
  /** The user's home: the per-user config location lives under it. */
  homeDir: string;
  env?: Record<string, string>;
  platform?: NodeJS.Platform;
  /** Standard input's content (not a terminal), or a terminal that answers the prompt with `prompt`. */
  stdin?: string;
  prompt?: string;
  /** Files outside homeDir that exist (the machine-wide config), as the CLI should see them. */
  machineFiles?: Record<string, string>;
}

export async function cliInProcess(argv: string[], opts: InProcessOptions): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const started: InProcessResult['started'] = [];
  const machine = opts.machineFiles ?? {};
  const inHome = (f: string): boolean => path.resolve(f).startsWith(path.resolve(opts.homeDir) + path.sep);
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: opts.env ?? {},
    platform: opts.platform ?? 'linux',
    homeDir: opts.homeDir,
    hostname: 'test-host',
    fetch,
    clock: systemClock,
    // Only the test's own files and the declared machine files exist: a developer's real
    // /etc/inference-mesh must not change a test's outcome.
    readFile: (f) => (f in machine ? Promise.resolve(machine[f] as string) : readFile(f, 'utf8')),
    exists: async (f) => {
      if (f in machine) return true;
      if (!inHome(f)) return false;
      return access(f).then(
        () => true,
        () => false,
      );
    },
    join: {
      stdinIsTty: () => opts.prompt !== undefined,
      readStdin: () => Promise.resolve(opts.stdin ?? ''),
      promptSecret: () => Promise.resolve(opts.prompt ?? ''),
    },
    service: {
      exec: (file) => Promise.reject(new ExecError('ENOENT', `spawn ${file} ENOENT`)),
      writeFile: (f, d) => writeFile(f, d),
      mkdir: async (d) => {
        await mkdir(d, { recursive: true });
      },
      rm: (f) => rm(f, { force: true }),
      nodePath: '/usr/bin/node',
      entry: '/usr/lib/node_modules/inference-mesh/bin/inference-mesh.js',
      cwd: opts.homeDir,
      uid: 1000,
    },
    doctorDeps: () => createNodeDoctorDeps({ env: opts.env ?? {}, platform: opts.platform ?? 'linux' }),
    start: (resolved, o) => {
      started.push({ resolved, keyOnCommandLine: o.keyOnCommandLine, logFormat: o.logFormat });
      return Promise.resolve(0);
    },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, started };
}
