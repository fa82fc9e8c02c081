/**
 * What this machine is: CPU, RAM, OS and GPUs. The static parts come from systeminformation; the
 * GPU figures come from sources that do not block the event loop (PROTOCOLS.md §6.1, §6.3).
 */
import type { Systeminformation as Si } from 'systeminformation';
import type { Exec } from '../kernel/exec.js';
import type { GpuFacts, GpuVendor, HardwareFacts } from '../kernel/shapes/facts.js';
import { normalizePciBusId, readNvidiaGpus, type NvidiaReader } from './gpu-nvidia.js';
import { readSysfsGpus, type ProbeFs } from './gpu-sysfs.js';
import { readCpuinfo } from './cpuinfo.js';
import { readOsRelease } from './os-release.js';

type GraphicsController = Pick<
  Si.GraphicsControllerData,
  'vendor' | 'vendorId' | 'model' | 'name' | 'busAddress' | 'pciBus' | 'vram' | 'vramDynamic' | 'memoryUsed' | 'utilizationGpu'
>;

/** The part of systeminformation this probe uses; main.ts passes the real module. */
export interface HardwareSi {
  cpu(): Promise<Pick<Si.CpuData, 'manufacturer' | 'brand' | 'cores' | 'physicalCores'>>;
  mem(): Promise<Pick<Si.MemData, 'total'>>;
  osInfo(): Promise<Pick<Si.OsData, 'distro' | 'release' | 'arch'>>;
  /** Resolves `null` on the BSDs and SunOS, although its typings do not say so (lib/graphics.js). */
  graphics(): Promise<{ controllers: GraphicsController[] } | null>;
}

export interface HardwareDeps {
  si: HardwareSi;
  exec: Exec;
  fs: ProbeFs;
  platform: NodeJS.Platform;
  /** `os.arch()`: what systeminformation reports as the OS architecture. */
  arch: string;
  /** The NVIDIA reader shared with the activity probe (probes.ts); plain readNvidiaGpus otherwise. */
  nvidia?: NvidiaReader;
}

type StaticFacts = Pick<HardwareFacts, 'cpu' | 'memTotalMb' | 'os'>;

/**
 * The hardware probe: CPU, memory and OS are read once and kept (they do not change while the
 * agent runs: an upgrade or new RAM means a reboot), the GPUs on every run. systeminformation's
 * cpu() and osInfo() run lscpu, dmidecode and `hostname -f` (the last with execSync, blocking the
 * event loop) — most of an idle agent's CPU when they ran every minute (issue 17); on Linux both
 * come from files instead (cpuinfo.ts, os-release.ts). A failed read is not kept: the next run
 * tries again.
 *
 * @example
 * const probe = createHardwareProbe({ si, exec: nodeExec, fs, platform: process.platform });
 * await probe(signal); // { cpu, memTotalMb, os, gpus }
 */
export function createHardwareProbe(deps: HardwareDeps): (signal?: AbortSignal) => Promise<HardwareFacts> {
  let fixed: Promise<StaticFacts> | null = null;
  const readFixed = async (): Promise<StaticFacts> => {
    // Linux: os-release as a file, not si.osInfo() (its execSync `hostname -f` blocks the agent).
    const osInfo = deps.platform === 'linux' ? readOsRelease(deps.fs).then((r) => ({ ...r, arch: deps.arch })) : deps.si.osInfo();
    // Linux: /proc/cpuinfo as a file when it has x86's fields, not si.cpu() (lscpu, dmidecode: cpuinfo.ts).
    const cpuInfo = deps.platform === 'linux' ? readCpuinfo(deps.fs).then((c) => c ?? deps.si.cpu()) : deps.si.cpu();
    const [cpu, mem, os] = await Promise.all([cpuInfo, deps.si.mem(), osInfo]);
    return {
      cpu: {
        model: cpuModel(cpu.manufacturer, cpu.brand),
        cores: wholeCount(cpu.cores) ?? 0,
        physicalCores: wholeCount(cpu.physicalCores),
      },
      memTotalMb: Math.round(mem.total / (1024 * 1024)),
      os: { platform: deps.platform, distro: os.distro || null, release: os.release || null, arch: os.arch },
    };
  };
  return async (signal) => {
    const pending = (fixed ??= readFixed());
    pending.catch(() => {
      if (fixed === pending) fixed = null;
    });
    const [facts, gpus] = await Promise.all([pending, readGpus(deps, signal)]);
    return { ...facts, gpus };
  };
}

/**
 * Probes CPU, memory, OS and GPUs once. Sizes are in MiB, the unit nvidia-smi reports, named `Mb`.
 *
 * @example
 * const facts = await probeHardware({ si, exec: nodeExec, fs, platform: process.platform }, signal);
 */
export function probeHardware(deps: HardwareDeps, signal?: AbortSignal): Promise<HardwareFacts> {
  return createHardwareProbe(deps)(signal);
}

async function readGpus(deps: HardwareDeps, signal?: AbortSignal): Promise<GpuFacts[]> {
  const readNvidia = deps.nvidia ?? ((s?: AbortSignal) => readNvidiaGpus({ exec: deps.exec, platform: deps.platform }, s));
  if (deps.platform === 'linux') {
    // Never si.graphics() on Linux: it runs nvidia-smi with execSync (blocking the event loop) and
    // knows no AMD VRAM or usage; sysfs + async nvidia-smi cover both (PROTOCOLS.md §6.1).
    const [sysfs, smi] = await Promise.all([readSysfsGpus(deps.fs), readNvidia(signal)]);
    return dedupeGpus([...smi, ...sysfs]);
  }
  // Windows, macOS (and the BSDs) have no cheap inventory of their own, so si.graphics() supplies it. On a
  // Windows NVIDIA host it still runs nvidia-smi synchronously once per call, so the hardware probe
  // belongs on a slow timer (PROTOCOLS.md §6.3); the live figures are overlaid from our async run.
  const [graphics, smi] = await Promise.all([deps.si.graphics(), readNvidia(signal)]);
  const inventory = (graphics?.controllers ?? []).filter((c) => !isVirtualAdapter(c)).map(gpuFromController);
  return dedupeGpus(overlayNvidia(inventory, smi));
}

/**
 * One systeminformation controller as GpuFacts. Values si does not have are `null`; si drops
 * zeros when it merges nvidia-smi data, so an absent usage field means "unknown" (PROTOCOLS.md §6.1).
 *
 * @example
 * gpuFromController({ vendor: 'Apple', model: 'Apple M2', vram: null, vramDynamic: true }); // vramTotalMb: null
 */
export function gpuFromController(c: GraphicsController): GpuFacts {
  const vendor = normalizeVendor(c.vendor, c.vendorId);
  return {
    vendor,
    model: c.model || c.name || `${vendor} GPU`,
    busId: normalizePciBusId(c.pciBus) ?? normalizePciBusId(c.busAddress),
    // vramDynamic: Apple Silicon unified memory (and shared-memory iGPUs on Windows). There is no
    // dedicated VRAM; what the GPU may use is bounded by memTotalMb, so the figure is unknown.
    // Windows computes vram as bytes / 1024 / 1024, which need not be whole.
    vramTotalMb: c.vramDynamic ? null : roundOrNull(positiveOrNull(c.vram)),
    vramUsedMb: positiveOrNull(c.memoryUsed),
    utilizationPct: percentOrNull(c.utilizationGpu),
    source: 'systeminformation',
  };
}

/**
 * Lays nvidia-smi's live figures over the inventory: matched by PCI bus id, else by model name
 * (Windows controllers carry no bus id unless si's own nvidia-smi run matched them). GPUs that
 * nvidia-smi sees and the inventory does not are added.
 */
export function overlayNvidia(inventory: readonly GpuFacts[], live: readonly GpuFacts[]): GpuFacts[] {
  const result = [...inventory];
  const claimed = new Set<number>();
  for (const gpu of live) {
    let i = gpu.busId === null ? -1 : result.findIndex((g, j) => !claimed.has(j) && g.busId === gpu.busId);
    if (i < 0) {
      i = result.findIndex(
        (g, j) => !claimed.has(j) && g.vendor === 'nvidia' && modelKey(g.model) === modelKey(gpu.model),
      );
    }
    if (i < 0) {
      claimed.add(result.push(gpu) - 1);
      continue;
    }
    const known = result[i];
    result[i] = {
      ...gpu,
      busId: gpu.busId ?? known?.busId ?? null,
      vramTotalMb: gpu.vramTotalMb ?? known?.vramTotalMb ?? null,
    };
    claimed.add(i);
  }
  return result;
}

/** Drops later entries for a PCI address already listed; GPUs without one cannot be told apart and are kept. */
export function dedupeGpus(gpus: readonly GpuFacts[]): GpuFacts[] {
  const seen = new Set<string>();
  return gpus.filter((g) => {
    if (g.busId === null) return true;
    if (seen.has(g.busId)) return false;
    seen.add(g.busId);
    return true;
  });
}

/**
 * The vendor from si's free-text vendor (`NVIDIA`, `Advanced Micro Devices, Inc.`, `Intel
 * Corporation`, `Apple`) or, failing that, the PCI vendor id.
 */
export function normalizeVendor(vendor: string, vendorId?: string): GpuVendor {
  const v = vendor.toLowerCase();
  if (v.includes('nvidia')) return 'nvidia';
  if (/\b(amd|ati)\b|advanced micro devices/.test(v)) return 'amd';
  if (v.includes('intel')) return 'intel';
  if (v.includes('apple')) return 'apple';
  const id = (vendorId ?? '').toLowerCase().replace(/^0x/, '');
  if (id === '10de') return 'nvidia';
  if (id === '1002') return 'amd';
  if (id === '8086') return 'intel';
  if (id === '106b') return 'apple';
  return 'other';
}

/** Windows lists "Microsoft Basic Display Adapter" / "Microsoft Remote Display Adapter": no GPU behind them. */
function isVirtualAdapter(c: GraphicsController): boolean {
  return /^microsoft\b/i.test(c.vendor);
}

/** Older drivers name a card `GeForce RTX 3080`, newer ones `NVIDIA GeForce RTX 3080`. */
function modelKey(model: string): string {
  return model.toLowerCase().replace(/\bnvidia\b/g, '').replace(/\s+/g, ' ').trim();
}

function cpuModel(manufacturer: string, brand: string): string {
  if (!brand) return manufacturer || 'unknown CPU';
  if (!manufacturer || brand.toLowerCase().startsWith(manufacturer.toLowerCase())) return brand;
  return `${manufacturer} ${brand}`;
}

function wholeCount(n: number | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.trunc(n) : null;
}

function positiveOrNull(n: number | null | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null;
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : Math.round(n);
}

function percentOrNull(n: number | undefined): number | null {
  const v = positiveOrNull(n);
  return v === null ? null : Math.min(v, 100);
}
