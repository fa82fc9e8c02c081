import { describe, expect, it } from 'vitest';
import { ExecError } from '../../../agent/kernel/exec.js';
import { createLogger, type LogRecord } from '../../../agent/kernel/log.js';
import { createGpuUtilizationReader, matchRunning, probeActivity } from '../../../agent/probe/activity.js';
import { NVIDIA_ABSENT_RECHECK_MS } from '../../../agent/probe/gpu-nvidia.js';
import { activityFactsSchema } from '../../../agent/kernel/shapes/facts.js';
import { createFakeExec, createFakeFs, ok } from '../../fakes/io.js';
import { desktopSysfs } from './fixtures.js';

describe('matchRunning', () => {
  it.each([
    { name: 'exact Windows image name', watched: ['cs2.exe'], running: ['cs2.exe'], want: ['cs2.exe'] },
    { name: 'bare name matches the .exe image', watched: ['steam'], running: ['steam.exe'], want: ['steam'] },
    { name: 'bare name matches the bare process', watched: ['steam'], running: ['steam'], want: ['steam'] },
    { name: '.exe config matches a native Linux binary', watched: ['cs2.exe'], running: ['cs2'], want: ['cs2.exe'] },
    { name: 'case-insensitive, reported as configured', watched: ['RocketLeague.EXE'], running: ['rocketleague.exe'], want: ['RocketLeague.EXE'] },
    { name: 'not running', watched: ['dota2'], running: ['steam.exe'], want: [] },
    { name: 'no partial matches', watched: ['steam'], running: ['steamwebhelper'], want: [] },
    { name: 'sorted, each once', watched: ['steam', 'cs2', 'steam'], running: ['cs2.exe', 'steam'], want: ['cs2', 'steam'] },
    { name: 'an empty configured name matches nothing', watched: ['', '.exe'], running: ['.exe', ''], want: [] },
    { name: 'nothing watched', watched: [], running: ['cs2.exe'], want: [] },
  ])('$name', ({ watched, running, want }) => {
    expect(matchRunning(watched, new Set(running))).toEqual(want);
  });
});

describe('probeActivity', () => {
  it('reports the running watched names, the GPU load and when it looked', async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const signal = new AbortController().signal;
    const facts = await probeActivity(
      {
        listProcessNames: (s) => {
          signals.push(s);
          return Promise.resolve(new Set(['systemd', 'steam', 'RocketLeague.exe']));
        },
        readGpuUtilization: (s) => {
          signals.push(s);
          return Promise.resolve(63);
        },
        nowMs: () => 1_700_000_000_000,
      },
      ['rocketleague.exe', 'steam', 'cs2.exe'],
      signal,
    );
    expect(activityFactsSchema.parse(facts)).toEqual({
      runningProcesses: ['rocketleague.exe', 'steam'],
      gpuUtilizationPct: 63,
      checkedAtMs: 1_700_000_000_000,
    });
    expect(signals).toEqual([signal, signal]);
  });

  it('with nothing to watch, no process list is taken (its cost grows with the process count); the GPU load still is', async () => {
    let listed = 0;
    const facts = await probeActivity({ listProcessNames: () => (listed++, Promise.resolve(new Set(['steam']))), readGpuUtilization: () => Promise.resolve(7), nowMs: () => 1 }, []);
    expect(listed).toBe(0);
    expect(facts).toEqual({ runningProcesses: [], gpuUtilizationPct: 7, checkedAtMs: 1 });
  });

  it('a failed GPU read leaves the load unknown but keeps game detection, and is logged once', async () => {
    const records: LogRecord[] = [];
    const log = createLogger({ level: 'debug', nowMs: () => 0, sink: (r) => records.push(r) });
    const deps = {
      listProcessNames: () => Promise.resolve(new Set(['cs2.exe'])),
      readGpuUtilization: () => Promise.reject(new ExecError('EXIT', 'nvidia-smi failed: Driver/library version mismatch')),
      nowMs: () => 5,
      log,
    };
    const first = await probeActivity(deps, ['cs2.exe']);
    await probeActivity(deps, ['cs2.exe']);
    expect(activityFactsSchema.parse(first)).toEqual({ runningProcesses: ['cs2.exe'], gpuUtilizationPct: null, checkedAtMs: 5 });
    expect(records).toHaveLength(1);
    expect(records[0]?.fields['error']).toContain('version mismatch');
  });

  it('a failed process listing fails the probe', async () => {
    const deps = {
      listProcessNames: () => Promise.reject(new ExecError('EXIT', 'tasklist failed')),
      readGpuUtilization: () => Promise.resolve(null),
      nowMs: () => 0,
    };
    await expect(probeActivity(deps, ['cs2.exe'])).rejects.toThrow('tasklist failed');
  });
});

describe('createGpuUtilizationReader', () => {
  const smi = 'NVIDIA GeForce RTX 4090, 00000000:01:00.0, 24564, 1843, 37\nNVIDIA GeForce RTX 3060, 00000000:0A:00.0, 12288, 0, 0\n';

  it('Linux: the highest figure over nvidia-smi and sysfs', async () => {
    const read = createGpuUtilizationReader({ exec: createFakeExec({ 'nvidia-smi': ok(smi) }), platform: 'linux', fs: createFakeFs(desktopSysfs), nowMs: () => 0 });
    expect(await read()).toBe(42); // the Radeon in the sysfs fixture
  });

  it('nvidia-smi only', async () => {
    const read = createGpuUtilizationReader({ exec: createFakeExec({ 'nvidia-smi': ok(smi) }), platform: 'linux', fs: createFakeFs({}), nowMs: () => 0 });
    expect(await read()).toBe(37);
  });

  it('null when no GPU reports it (Intel only; no GPU)', async () => {
    const intelOnly = Object.fromEntries(Object.entries(desktopSysfs).filter(([p]) => p.includes('/card0/')));
    const exec = createFakeExec({});
    expect(await createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs(intelOnly), nowMs: () => 0 })()).toBeNull();
    expect(await createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs({}), nowMs: () => 0 })()).toBeNull();
  });

  it('off Linux sysfs is not read', async () => {
    const fs = createFakeFs(desktopSysfs);
    const read = createGpuUtilizationReader({ exec: createFakeExec({ 'nvidia-smi.exe': ok(smi) }), platform: 'win32', fs, nowMs: () => 0 });
    expect(await read()).toBe(37);
    expect(fs.reads).toEqual([]);
  });

  it('without nvidia-smi, it is not run again until NVIDIA_ABSENT_RECHECK_MS has passed', async () => {
    let nowMs = 0;
    const exec = createFakeExec({});
    const read = createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs(desktopSysfs), nowMs: () => nowMs });
    expect(await read()).toBe(42);
    nowMs += NVIDIA_ABSENT_RECHECK_MS - 1;
    expect(await read()).toBe(42); // sysfs is still read each time
    expect(exec.calls).toHaveLength(1);
    nowMs += 1;
    await read();
    expect(exec.calls).toHaveLength(2);
  });

  it('with an NVIDIA GPU, nvidia-smi runs on every read', async () => {
    const exec = createFakeExec({ 'nvidia-smi': ok(smi) });
    const read = createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs({}), nowMs: () => 0 });
    await read();
    await read();
    expect(exec.calls).toHaveLength(2);
  });

  it('a failing nvidia-smi is run again next time (its error is reported each time it fails)', async () => {
    const exec = createFakeExec({ 'nvidia-smi': new ExecError('EXIT', 'nvidia-smi failed: Driver/library version mismatch') });
    const read = createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs({}), nowMs: () => 0 });
    await expect(read()).rejects.toThrow('version mismatch');
    await expect(read()).rejects.toThrow('version mismatch');
    expect(exec.calls).toHaveLength(2);
  });
});
