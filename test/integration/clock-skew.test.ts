/**
 * A peer whose clock is 5 minutes off (issue 11), over real sockets: the hub's registry names the
 * skew ("clock off by +300 s", with the signed offset) instead of "refused our mesh key", and forgets
 * it once the clocks agree again.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../agent/kernel/clock.js';
import type { NodeRecord } from '../../discovery/types.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually, runCli } from '../helpers/cli.js';

const KEY = 'clock-skew-test-mesh-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** The system clock moved by a settable offset (what faketime does to a whole process). */
function shiftedClock(): Clock & { offsetMs: number } {
  const clock = { ...systemClock, offsetMs: 0, nowMs: () => systemClock.nowMs() + clock.offsetMs };
  return clock;
}

async function agent(name: string, clock: Clock, peers: string[] = []): Promise<TestAgent> {
  const a = await startTestAgent({
    clock,
    config: { node: { name }, mesh: { key: KEY }, discovery: { mdns: { enabled: false }, tailnet: { enabled: false }, peers, peerTimeoutMs: 1000, healthIntervalMs: 200 } },
  });
  cleanups.push(() => a.stop());
  return a;
}

const peer = async (a: TestAgent, name: string): Promise<NodeRecord | undefined> =>
  ((await (await fetch(`${a.url}/api/v1/nodes`)).json()) as { nodes: NodeRecord[] }).nodes.find((n) => n.name === name);

describe('a peer whose clock is off', () => {
  it('5 minutes ahead: recorded as "clock off by +300 s" with the offset, not as a refused key; cleared when fixed', async () => {
    const pcClock = shiftedClock();
    const pc = await agent('gaming-pc', pcClock);
    const hub = await agent('hub', systemClock, [pc.url]);
    await eventually(async () => ((await peer(hub, 'gaming-pc'))?.state === 'up' ? true : undefined));

    pcClock.offsetMs = 300_000;
    const skewed = await eventually(async () => {
      const n = await peer(hub, 'gaming-pc');
      return n?.clockOffsetMs !== undefined ? n : undefined;
    });
    expect(Math.round((skewed.clockOffsetMs ?? 0) / 1000)).toBe(300);
    expect(skewed.paths[0]?.lastError).toMatch(/clock off by \+300 s/);
    expect(skewed.paths[0]?.lastError).not.toMatch(/mesh key/);
    expect(hub.deps.lines.join('\n')).not.toMatch(/refused our mesh key/);
    expect(hub.deps.lines.filter((l) => /refuses this agent's requests: clock off by \+300 s/.test(l))).toHaveLength(1);

    // What a person runs: `status` and `doctor` against the hub, as child processes.
    const status = await runCli(['status', '--url', hub.url]);
    expect(status.stdout).toMatch(/^gaming-pc: clock off by about \+300 s/m);
    const config = path.join(hub.dataDir, 'doctor.config.json');
    await writeFile(config, JSON.stringify({ discovery: { mdns: { enabled: false }, tailnet: { enabled: false } } }));
    const doctor = await runCli(['doctor', '--json', '--config', config, '--port', String(hub.agent.port())], { timeoutMs: 60_000 });
    const clockCheck = (JSON.parse(doctor.stdout) as { id: string; status: string; detail: string }[]).find((c) => c.id === 'clock');
    expect(clockCheck).toMatchObject({ status: 'problem', detail: expect.stringMatching(/clock off by about \+300 s \(ahead of this machine\)/) as unknown });

    pcClock.offsetMs = 0;
    const fixed = await eventually(async () => {
      const n = await peer(hub, 'gaming-pc');
      return n?.state === 'up' ? n : undefined;
    });
    expect(fixed.clockOffsetMs).toBeUndefined();
  });

  it('5 minutes behind: "clock off by -300 s"', async () => {
    const pcClock = shiftedClock();
    const pc = await agent('gaming-pc', pcClock);
    const hub = await agent('hub', systemClock, [pc.url]);
    await eventually(async () => ((await peer(hub, 'gaming-pc'))?.state === 'up' ? true : undefined));
    pcClock.offsetMs = -300_000;
    const skewed = await eventually(async () => {
      const n = await peer(hub, 'gaming-pc');
      return n?.clockOffsetMs !== undefined ? n : undefined;
    });
    expect(skewed.paths[0]?.lastError).toMatch(/clock off by -300 s/);
  });

  it('a new peer whose clock is off is never admitted, and the log says why (not "refused our mesh key")', async () => {
    const pcClock = shiftedClock();
    pcClock.offsetMs = 300_000;
    const pc = await agent('gaming-pc', pcClock);
    const hub = await agent('hub', systemClock, [pc.url]);
    await eventually(async () => (hub.deps.lines.some((l) => l.includes(`the agent at ${pc.url} refuses this agent's requests: clock off by +300 s`)) ? true : undefined));
    expect(await peer(hub, 'gaming-pc')).toBeUndefined();
  });
});
