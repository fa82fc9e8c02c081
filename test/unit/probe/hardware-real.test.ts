/**
 * The real adapters on this machine: systeminformation, node:fs and child_process. Guards the
 * HardwareSi subset against the real module's types and output, and the fs/exec wiring main.ts uses.
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import * as si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { createNodeExec } from '../../../agent/exec-node.js';
import { activityFactsSchema, hardwareFactsSchema } from '../../../agent/kernel/shapes/facts.js';
import { probeHardware, type HardwareSi } from '../../../agent/probe/hardware.js';
import { readCpuinfo } from '../../../agent/probe/cpuinfo.js';
import { createGpuUtilizationReader, probeActivity } from '../../../agent/probe/activity.js';
import { listProcessNames } from '../../../agent/probe/processes.js';
import type { ProbeFs } from '../../../agent/probe/gpu-sysfs.js';

const nodeExec = createNodeExec({ env: process.env, platform: process.platform });

const fs: ProbeFs = { readFile: (p) => readFile(p, 'utf8'), readdir: (p) => readdir(p) };
const realSi: HardwareSi = si;

describe.runIf(process.platform === 'linux')('probes against the real machine (Linux)', () => {
  it('probeHardware parses and finds cores (this box has no GPU)', async () => {
    const graphicsCalls: number[] = [];
    const guardedSi: HardwareSi = { ...realSi, graphics: () => (graphicsCalls.push(1), realSi.graphics()) };
    const facts = hardwareFactsSchema.parse(await probeHardware({ si: guardedSi, exec: nodeExec, fs, platform: 'linux', arch: 'x64' }));
    expect(facts.cpu.cores).toBeGreaterThan(0);
    expect(facts.memTotalMb).toBeGreaterThan(0);
    expect(facts.os.platform).toBe('linux');
    expect(facts.gpus).toEqual([]);
    expect(graphicsCalls).toEqual([]);
  });

  it('/proc/cpuinfo read as a file says what systeminformation says (lscpu and all)', async () => {
    const fromFile = await readCpuinfo(fs);
    // ARM boards have no `model name`: the probe asks systeminformation there, and so does this test.
    if (fromFile === null) return;
    const { manufacturer, brand, cores, physicalCores } = await si.cpu();
    expect(fromFile).toEqual({ manufacturer, brand, cores, physicalCores });
  });

  it("the agent's memory total (os.totalmem) is systeminformation's MemTotal, without loading systeminformation", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const script = `
      import { loadSystemInformation } from './agent/si-node.ts';
      const { total } = await loadSystemInformation().mem();
      const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).filter((f) => f.includes('systeminformation'));
      console.log(JSON.stringify({ total, loaded }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    const agent = JSON.parse(stdout) as { total: number; loaded: string[] };
    expect(agent.loaded).toEqual([]);
    expect(agent.total).toBe((await si.mem()).total);
  });

  it('listProcessNames sees this test process', async () => {
    const names = await listProcessNames({ platform: 'linux', exec: nodeExec, fs });
    // argv[0] of the vitest worker is node's own path.
    expect(names.has(basename(process.execPath))).toBe(true);
  });

  it('probeActivity with the real readers', async () => {
    const facts = await probeActivity(
      {
        listProcessNames: (signal) => listProcessNames({ platform: 'linux', exec: nodeExec, fs }, signal),
        readGpuUtilization: createGpuUtilizationReader({ exec: nodeExec, platform: 'linux', fs, nowMs: () => 1 }),
        nowMs: () => 1,
      },
      [`${basename(process.execPath)}.exe`, 'no-such-game'],
    );
    expect(activityFactsSchema.parse(facts)).toEqual({
      runningProcesses: [`${basename(process.execPath)}.exe`],
      gpuUtilizationPct: null,
      checkedAtMs: 1,
    });
  });
});
