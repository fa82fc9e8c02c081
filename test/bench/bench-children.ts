/**
 * The child processes of a bench run (fakes, proxies, the agent): started with node, their output
 * kept (bounded) for error messages, and stopped by their own pid only, also when the run fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BACKEND = fileURLToPath(new URL('./proxy-backend.ts', import.meta.url));

export interface Child {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<void>;
  /** What killAll sends: SIGKILL for node children; a process with workers of its own (nginx) needs a signal it can pass on. */
  killSignal: NodeJS.Signals;
}

export interface BenchChildren {
  start(name: string, args: string[], env: NodeJS.ProcessEnv, ipc?: boolean): Child;
  /** A process spawned elsewhere (nginx), so that killAll reaches it too; its owner still stops it. */
  adopt(name: string, proc: ChildProcess, killSignal: NodeJS.Signals): void;
  /** A fake Ollama child (test/bench/proxy-backend.ts) with the given models, on a free port. */
  startBackend(name: string, models: string, responseTokens?: number): Promise<{ child: Child; port: number }>;
  waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, child?: Child): Promise<T>;
  /** At once, by pid (a watchdog or Ctrl-C): SIGKILL, or the adopted process's killSignal. */
  killAll(): void;
  /** SIGTERM each, SIGKILL after 7 s; resolves when all have exited. */
  stopAll(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const running = (c: Child): boolean => c.proc.exitCode === null && c.proc.signalCode === null;

export function createBenchChildren(): BenchChildren {
  const children: Child[] = [];

  const start = (name: string, args: string[], env: NodeJS.ProcessEnv, ipc = false): Child => {
    const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer): void => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000); // bounded: the agent logs failovers
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const child: Child = { name, proc, output: () => out, exited, killSignal: 'SIGKILL' };
    children.push(child);
    return child;
  };

  const stop = async (c: Child): Promise<void> => {
    if (!running(c)) return;
    c.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (running(c)) c.proc.kill('SIGKILL');
    }, 7000);
    await c.exited;
    clearTimeout(timer);
  };

  const waitFor = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, child?: Child): Promise<T> => {
    const deadline = performance.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (child !== undefined && !running(child)) throw new Error(`${child.name} exited while waiting for ${what}:\n${child.output()}`);
      if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${last})` : ''}${child ? `\n${child.output().slice(-4000)}` : ''}`);
      await sleep(50);
    }
  };

  return {
    start,
    adopt: (name, proc, killSignal) => {
      const exited = new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
      children.push({ name, proc, output: () => '', exited, killSignal });
    },
    waitFor,
    startBackend: async (name, models, responseTokens = 9) => {
      const child = start(name, ['--import', 'tsx', BACKEND, '--models', models, '--response-tokens', String(responseTokens)], cleanEnv(), true);
      const url = await waitFor(`${name} to listen`, () => /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(child.output())?.[1], 20_000, child);
      return { child, port: Number(new URL(url).port) };
    },
    killAll: () => {
      for (const c of children) if (running(c)) c.proc.kill(c.killSignal);
    },
    stopAll: async () => {
      await Promise.all(children.map((c) => stop(c)));
    },
  };
}
