/**
 * Runs the real `inference-mesh` command (bin/inference-mesh.js) as a child process, the way a
 * user does, with an environment cleared of the variables the agent reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/inference-mesh.js', import.meta.url));

const AGENT_ENV = ['INFERENCE_MESH_CONFIG', 'INFERENCE_MESH_DATA_DIR', 'INFERENCE_MESH_PORT', 'INFERENCE_MESH_KEY', 'OLLAMA_HOST', 'IMMICH_MACHINE_LEARNING_URL'];

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of AGENT_ENV) delete env[name];
  return { ...env, ...extra };
}

/** Test agents announce on loopback only: mDNS must never reach the outside network (TOOLCHAIN.md). */
function pinMdns(args: string[]): string[] {
  return args[0] === 'start' && !args.includes('--mdns-interface') ? [...args, '--mdns-interface', '127.0.0.1'] : args;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (bounded by `timeoutMs`, after which it is killed). The bounds here
 * are generous: a loaded 2-core CI takes ~6 s just to load the TypeScript tree through tsx.
 */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...pinMdns(args)], {
      env: cleanEnv(opts.env),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningAgent {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `inference-mesh start` and resolves once it logs "agent ready" (or rejects with its output). */
export async function startCliAgent(args: string[], opts: { env?: Record<string, string>; port: number; cwd?: string }): Promise<RunningAgent> {
  const child = spawn(process.execPath, [BIN, ...pinMdns(['start', '--port', String(opts.port), ...args])], {
    env: cleanEnv(opts.env),
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent did not become ready:\n${output}`));
    }, 60_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('agent ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${opts.port}`,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return (await exited).code;
    },
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value (bounded by `timeoutMs`; a bound, not a timing assertion). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
