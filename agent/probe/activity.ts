/**
 * What the machine is busy with now: which of the configured games/apps run, and how loaded the
 * GPUs are. Polled on a short timer, so it uses only the cheap sources (PROTOCOLS.md §6.3).
 */
import { describeError } from '../kernel/errors.js';
import type { Exec } from '../kernel/exec.js';
import type { Logger } from '../kernel/log.js';
import type { ActivityFacts } from '../kernel/shapes/facts.js';
import { createNvidiaReader, type NvidiaReader } from './gpu-nvidia.js';
import { readSysfsGpus, type ProbeFs } from './gpu-sysfs.js';

export interface ActivityDeps {
  listProcessNames: (signal?: AbortSignal) => Promise<Set<string>>;
  readGpuUtilization: (signal?: AbortSignal) => Promise<number | null>;
  nowMs: () => number;
  /** Where a failed GPU read is reported (once per distinct message). */
  log?: Logger;
}

/**
 * The configured names (spelled as configured, sorted) whose process runs now, and the GPU load.
 *
 * A failed GPU read does not fail the probe: the game check is what frees VRAM for a game, and it
 * must keep working when nvidia-smi breaks (e.g. a driver/library mismatch after an update). The
 * load is then `null`, unknown. A failed process listing does fail it.
 *
 * @example
 * await probeActivity(deps, ['cs2.exe', 'steam']); // { runningProcesses: ['steam'], gpuUtilizationPct: 12, checkedAtMs }
 */
export async function probeActivity(
  deps: ActivityDeps,
  watched: readonly string[],
  signal?: AbortSignal,
): Promise<ActivityFacts> {
  const [running, gpuUtilizationPct] = await Promise.all([
    // Nothing to watch (a hub, usually): no process list, which is the probe's main cost and grows
    // with the machine's process count.
    watched.length === 0 ? Promise.resolve(new Set<string>()) : deps.listProcessNames(signal),
    deps.readGpuUtilization(signal).catch((err: unknown) => {
      const error = describeError(err);
      deps.log?.once(`probe.activity.gpu:${error}`, 'warn', 'cannot read GPU utilisation', { error });
      return null;
    }),
  ]);
  return {
    runningProcesses: matchRunning(watched, running),
    gpuUtilizationPct,
    checkedAtMs: deps.nowMs(),
  };
}

/**
 * The watched names that match a running process. Case-insensitive, and a trailing `.exe` is
 * ignored on both sides: `steam` matches `steam.exe` on Windows, `cs2.exe` matches the native
 * Linux `cs2` and a Proton `cs2.exe`.
 *
 * @example
 * matchRunning(['CS2.exe', 'steam', 'dota2'], new Set(['cs2.exe', 'steam.exe'])); // ['CS2.exe', 'steam']
 */
export function matchRunning(watched: readonly string[], running: ReadonlySet<string>): string[] {
  const keys = new Set([...running].map(processKey));
  const matches = new Set(watched.filter((name) => processKey(name) !== '' && keys.has(processKey(name))));
  return [...matches].sort();
}

function processKey(name: string): string {
  return name.trim().toLowerCase().replace(/\.exe$/, '');
}

export interface GpuUtilizationDeps {
  exec: Exec;
  platform: NodeJS.Platform;
  fs: ProbeFs;
  nowMs: () => number;
  /** The NVIDIA reader shared with the hardware probe (probes.ts); one of its own otherwise. */
  nvidia?: NvidiaReader;
}

/**
 * A reader of the highest utilisation over this machine's GPUs: nvidia-smi everywhere, sysfs on
 * Linux (AMD). `null` when no GPU reports it (Intel, AMD on Windows/macOS, Apple: PROTOCOLS.md §6.1).
 *
 * @example
 * const readGpuUtilization = createGpuUtilizationReader({ exec: nodeExec, platform: 'linux', fs, nowMs: clock.nowMs });
 * await readGpuUtilization(signal); // 37
 */
export function createGpuUtilizationReader(deps: GpuUtilizationDeps): (signal?: AbortSignal) => Promise<number | null> {
  const readNvidia = deps.nvidia ?? createNvidiaReader(deps);
  return async (signal) => {
    const [smi, sysfs] = await Promise.all([readNvidia(signal), deps.platform === 'linux' ? readSysfsGpus(deps.fs) : Promise.resolve([])]);
    let max: number | null = null;
    for (const gpu of [...smi, ...sysfs]) {
      if (gpu.utilizationPct !== null && (max === null || gpu.utilizationPct > max)) max = gpu.utilizationPct;
    }
    return max;
  };
}
