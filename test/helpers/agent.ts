/**
 * startTestAgent(): one line per test to get a real agent (real HTTP socket on port 0, real state
 * file in a temp dir) with the machine-specific parts faked: hardware, processes and exec.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createAgent, type Agent, type ResolvedConfig } from '../../agent/agent.js';
import { systemClock, type Clock } from '../../agent/kernel/clock.js';
import { configSchema, type AgentConfigInput } from '../../agent/config-schema.js';
import type { AgentDeps } from '../../agent/deps.js';
import type { HardwareSi } from '../../agent/probe/hardware.js';
import { readAdminToken } from '../../agent/admin-token.js';
import { captureLog } from './capture-log.js';
import { createFakeExec, createFakeFs } from '../fakes/io.js';

export const fakeSi: HardwareSi = {
  cpu: async () => ({ brand: 'Test CPU 9000', manufacturer: 'Test', cores: 8, physicalCores: 4 }),
  mem: async () => ({ total: 16 * 1024 ** 3 }),
  osInfo: async () => ({ platform: 'linux', distro: 'Debian GNU/Linux', release: '12', arch: 'x64' }) as Awaited<ReturnType<HardwareSi['osInfo']>>,
  graphics: async () => ({ controllers: [], displays: [] }) as Awaited<ReturnType<HardwareSi['graphics']>>,
};

export function testDeps(overrides: Partial<AgentDeps> = {}): AgentDeps & { lines: string[] } {
  const { log, lines } = captureLog();
  return {
    clock: systemClock,
    log,
    fetch,
    exec: createFakeExec({}),
    si: fakeSi,
    fs: createFakeFs({ '/proc/1/comm': 'init\n', '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n' }),
    platform: 'linux',
    arch: 'x64',
    networkInterfaces: () => ({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] }),
    agentVersion: '0.0.0-test',
    hostname: 'test-host',
    timeZone: 'Europe/London',
    pid: 1_000_000 + Math.floor(Math.random() * 1000),
    isProcessAlive: () => false,
    lines,
    ...overrides,
  };
}

export interface TestAgent {
  agent: Agent;
  dataDir: string;
  url: string;
  /** Headers that carry this agent's admin credential (for changes). */
  admin(): Promise<Record<string, string>>;
  deps: AgentDeps & { lines: string[] };
  stop(): Promise<void>;
}

export async function startTestAgent(
  opts: { config?: AgentConfigInput; deps?: Partial<AgentDeps>; dataDir?: string; clock?: Clock } = {},
): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'im-agent-')));
  // mDNS pinned to loopback: test traffic never leaves the machine (TOOLCHAIN.md).
  const parsed = configSchema.parse({
    api: { port: 0, host: '127.0.0.1' },
    ...opts.config,
    discovery: { mdns: { interfaces: ['127.0.0.1'] }, tailnet: { enabled: false }, ...opts.config?.discovery },
  });
  const config: ResolvedConfig = { ...parsed, node: { name: parsed.node.name ?? 'test-node' }, dataDir };
  const deps = testDeps({ ...(opts.clock ? { clock: opts.clock } : {}), ...opts.deps });
  const agent = createAgent(config, deps);
  await agent.start();
  return {
    agent,
    dataDir,
    deps,
    url: `http://127.0.0.1:${agent.port()}`,
    async admin() {
      return { authorization: `Bearer ${(await readAdminToken(dataDir)) ?? ''}`, 'content-type': 'application/json' };
    },
    async stop() {
      await agent.stop();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
