/**
 * Real agents on the hosts of a netns lab: started with the real command (bin/inference-mesh.js),
 * mDNS pinned to the host's own eth0 address (never the outside network), queried from inside the
 * lab with the real CLI. Shared by the multi-host tests and `npm run bench:discovery`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeRecord } from '../../discovery/types.js';
import { BIN } from '../helpers/cli.js';
import type { Lab } from './netns.js';

export const AGENT_PORT = 7650;

export interface LabAgent {
  host: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

/** Starts an agent on `host` and resolves when it logs "agent ready". */
export async function startLabAgent(
  lab: Lab,
  host: string,
  opts: { key: string; baseDir: string; config?: Record<string, unknown>; env?: NodeJS.ProcessEnv },
): Promise<LabAgent> {
  const dir = path.join(opts.baseDir, host);
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, 'agent.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      node: { name: host },
      // No Ollama or Immich in the lab; the probes would only report them down.
      services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } },
      ...opts.config,
      discovery: { tailnet: { enabled: false }, ...(opts.config?.discovery as object | undefined) },
    }),
  );
  const child = lab.spawn(host, [
    process.execPath,
    BIN,
    'start',
    '--config',
    configFile,
    '--data-dir',
    path.join(dir, 'data'),
    '--port',
    String(AGENT_PORT),
    '--key',
    opts.key,
    '--mdns-interface',
    lab.host(host).address,
  ], opts.env ? { env: opts.env } : {});
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent on ${host} did not start:\n${output}`)), 20_000);
    const check = (): void => {
      if (output.includes('agent ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`agent on ${host} exited:\n${output}`));
    });
  });
  return { host, child, output: () => output, exited };
}

/** The registry of the agent on `host`, read with `inference-mesh nodes --json` inside its namespace. */
export async function labNodes(lab: Lab, host: string): Promise<NodeRecord[]> {
  const out = await lab.exec(host, [process.execPath, BIN, 'nodes', '--json', '--url', `http://127.0.0.1:${AGENT_PORT}`], { timeoutMs: 15_000 });
  return (JSON.parse(out) as { nodes: NodeRecord[] }).nodes;
}

/** The state `observer` has for the node named `name` (undefined when not listed). */
export async function stateOf(lab: Lab, observer: string, name: string): Promise<NodeRecord['state'] | undefined> {
  return (await labNodes(lab, observer)).find((n) => n.name === name)?.state;
}

/** Polls until `check` holds, bounded by `timeoutMs`; returns the elapsed ms (for the benchmark). */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, pollMs = 50): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
