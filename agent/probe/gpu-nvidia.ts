/**
 * Live NVIDIA figures from `nvidia-smi`, run asynchronously through the injected `Exec`.
 *
 * We do not take these from `si.graphics()`: systeminformation runs nvidia-smi with `execSync` on
 * every call and so blocks the event loop for the whole run, and its merge drops values that are 0
 * (an idle GPU loses its utilisation field) (PROTOCOLS.md §6.1, "Gotchas").
 */
import { ExecError, type Exec } from '../kernel/exec.js';
import type { GpuFacts } from '../kernel/shapes/facts.js';

/** Columns in this order; `nounits` leaves MiB and % as bare numbers (PROTOCOLS.md §6.1). */
export const nvidiaSmiArgs = [
  '--query-gpu=name,pci.bus_id,memory.total,memory.used,utilization.gpu',
  '--format=csv,noheader,nounits',
] as const;

/** Without persistence mode nvidia-smi initialises the driver on every run, which can take seconds. */
export const nvidiaSmiTimeoutMs = 10_000;

export interface NvidiaDeps {
  exec: Exec;
  platform: NodeJS.Platform;
}

/**
 * The NVIDIA GPUs of this machine, or `[]` when nvidia-smi is not installed. Any other failure
 * (driver/library version mismatch, timeout, no driver loaded) rejects, so the calling probe reports it.
 *
 * Limitation: only `nvidia-smi` on PATH is tried. systeminformation also looks under
 * `%WINDIR%\System32\DriverStore\FileRepository\*\` (PROTOCOLS.md §6.1); current Windows drivers put a
 * copy in System32, which is on PATH.
 *
 * @example
 * const gpus = await readNvidiaGpus({ exec: nodeExec, platform: 'linux' }, signal);
 */
export async function readNvidiaGpus(deps: NvidiaDeps, signal?: AbortSignal): Promise<GpuFacts[]> {
  const file = deps.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi';
  try {
    const { stdout } = await deps.exec(file, nvidiaSmiArgs, {
      timeoutMs: nvidiaSmiTimeoutMs,
      ...(signal ? { signal } : {}),
    });
    return parseNvidiaSmiCsv(stdout);
  } catch (err) {
    if (err instanceof ExecError && err.code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads this machine's NVIDIA GPUs (readNvidiaGpus, or a reader that remembers their absence). */
export type NvidiaReader = (signal?: AbortSignal) => Promise<GpuFacts[]>;

/**
 * After nvidia-smi found no NVIDIA GPU (not installed, the usual case on a hub), it is not run again
 * for this long: each run spawns a process, which on a machine without it was most of an idle
 * agent's CPU at a 10 s activity interval (issue 17). A driver installed later is seen within it.
 */
export const NVIDIA_ABSENT_RECHECK_MS = 5 * 60_000;

/**
 * One reader for every probe that asks (hardware, activity), so an absent nvidia-smi is
 * remembered once for all of them, and asks at the same moment share one run. Failures are not
 * remembered: they are reported each time.
 *
 * @example
 * const nvidia = createNvidiaReader({ exec: nodeExec, platform: 'linux', nowMs: clock.nowMs });
 */
export function createNvidiaReader(deps: NvidiaDeps & { nowMs: () => number }): NvidiaReader {
  let absentUntilMs = -Infinity;
  /** The run under way: both probes start together at start-up, and share one nvidia-smi (issue 17). */
  let running: Promise<GpuFacts[]> | null = null;
  return async (signal) => {
    if (deps.nowMs() < absentUntilMs) return [];
    if (running) return running;
    const run = readNvidiaGpus(deps, signal)
      .then((gpus) => {
        if (gpus.length === 0) absentUntilMs = deps.nowMs() + NVIDIA_ABSENT_RECHECK_MS;
        return gpus;
      })
      .finally(() => {
        if (running === run) running = null;
      });
    running = run;
    return run;
  };
}

/**
 * Parses the output of `nvidia-smi --query-gpu=name,pci.bus_id,memory.total,memory.used,utilization.gpu
 * --format=csv,noheader,nounits`: one GPU per line, `, `-separated, MiB and percent. Fields that the
 * card does not support read `[N/A]` or `[Not Supported]` and become `null` (unknown, not 0).
 *
 * @example
 * parseNvidiaSmiCsv('NVIDIA GeForce RTX 4090, 00000000:01:00.0, 24564, 1021, 3\n');
 * // [{ vendor: 'nvidia', model: 'NVIDIA GeForce RTX 4090', busId: '0000:01:00.0', vramTotalMb: 24564, ... }]
 */
export function parseNvidiaSmiCsv(stdout: string): GpuFacts[] {
  const gpus: GpuFacts[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 5) continue;
    // nvidia-smi does not quote its CSV: should a name ever hold a comma, the four known columns
    // are still the last four.
    const tail = fields.slice(-4);
    const name = fields.slice(0, -4).join(', ');
    gpus.push({
      vendor: 'nvidia',
      model: isUnknown(name) ? 'NVIDIA GPU' : name,
      busId: normalizePciBusId(tail[0]),
      vramTotalMb: parseAmount(tail[1]),
      vramUsedMb: parseAmount(tail[2]),
      utilizationPct: parsePercent(tail[3]),
      source: 'nvidia-smi',
    });
  }
  return gpus;
}

/**
 * One spelling of a PCI address so the same card matches across sources: nvidia-smi writes an
 * 8-digit domain (`00000000:01:00.0`), sysfs a 4-digit one (`0000:01:00.0`), lspci none (`01:00.0`).
 * Returns `null` for anything that is not a PCI address.
 *
 * @example
 * normalizePciBusId('00000000:0A:00.0'); // '0000:0a:00.0'
 */
export function normalizePciBusId(raw: string | undefined): string | null {
  const m = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec((raw ?? '').trim());
  if (!m) return null;
  const [, domain = '0', bus = '', device = '', fn = ''] = m;
  const domain4 = domain.slice(-4).padStart(4, '0');
  return `${domain4}:${bus.padStart(2, '0')}:${device.padStart(2, '0')}.${fn}`.toLowerCase();
}

function isUnknown(value: string): boolean {
  return value === '' || /^\[.*\]$/.test(value) || value === 'N/A';
}

function parseAmount(raw: string | undefined): number | null {
  if (raw === undefined || isUnknown(raw)) return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function parsePercent(raw: string | undefined): number | null {
  const n = parseAmount(raw);
  return n === null ? null : Math.min(n, 100);
}
