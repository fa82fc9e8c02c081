/**
 * AMD and Intel GPUs on Linux, read straight from sysfs. systeminformation reports no usage for
 * them at all and takes VRAM from the largest PCI BAR, which is often 256 MB rather than the real
 * VRAM (PROTOCOLS.md §6.1); amdgpu exposes the true figures under `/sys/class/drm/cardN/device`.
 */
import type { GpuFacts, GpuVendor } from '../kernel/shapes/facts.js';
import { normalizePciBusId } from './gpu-nvidia.js';

/**
 * The file-system reads the probes need. main.ts passes `(p) => fs.readFile(p, 'utf8')` and
 * `(p) => fs.readdir(p)`; tests pass an in-memory map.
 */
export interface ProbeFs {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
}

export const drmClassDir = '/sys/class/drm';

/**
 * PCI vendor ids we read here. NVIDIA (0x10de) is left to nvidia-smi, which also knows usage.
 * Other vendors (ASPEED BMC graphics on servers, virtio/QXL in VMs) only drive a display and cannot
 * run inference, so they are skipped rather than advertised as GPUs.
 */
const vendorsById: Readonly<Record<string, { vendor: GpuVendor; label: string }>> = {
  '0x1002': { vendor: 'amd', label: 'AMD' },
  '0x8086': { vendor: 'intel', label: 'Intel' },
};

/**
 * The AMD and Intel GPUs under /sys/class/drm, `[]` when that directory does not exist (not Linux,
 * or a container without /sys). Values the driver does not expose are `null`: Intel's i915 has
 * neither `mem_info_vram_*` nor `gpu_busy_percent`. On an AMD APU `mem_info_vram_total` is only the
 * firmware carve-out, not the shared memory the GPU can use.
 *
 * @example
 * const gpus = await readSysfsGpus({ readFile: (p) => fs.readFile(p, 'utf8'), readdir: (p) => fs.readdir(p) });
 */
export async function readSysfsGpus(fs: ProbeFs): Promise<GpuFacts[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(drmClassDir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  // `card0` is a device; `card0-DP-1` is one of its connectors and `renderD128` its render node.
  const cards = entries.filter((e) => /^card\d+$/.test(e)).sort(byCardNumber);
  const found = await Promise.all(cards.map((card) => readCard(fs, `${drmClassDir}/${card}/device`)));
  const seen = new Set<string>();
  return found.filter((gpu): gpu is GpuFacts => {
    if (gpu === null) return false;
    if (gpu.busId === null) return true;
    if (seen.has(gpu.busId)) return false;
    seen.add(gpu.busId);
    return true;
  });
}

async function readCard(fs: ProbeFs, dir: string): Promise<GpuFacts | null> {
  const read = (name: string): Promise<string | null> => readOptional(fs, `${dir}/${name}`);
  const [vendorId, deviceId, productName, uevent, vramTotal, vramUsed, busy] = await Promise.all([
    read('vendor'),
    read('device'),
    read('product_name'),
    read('uevent'),
    read('mem_info_vram_total'),
    read('mem_info_vram_used'),
    read('gpu_busy_percent'),
  ]);
  const known = vendorId === null ? undefined : vendorsById[vendorId.toLowerCase()];
  if (!known) return null;
  return {
    vendor: known.vendor,
    // product_name comes from the board's FRU EEPROM; consumer cards leave it empty or absent.
    model: productName || `${known.label} GPU${deviceId ? ` (device ${deviceId.toLowerCase()})` : ''}`,
    busId: parseUeventSlot(uevent),
    vramTotalMb: bytesToMb(vramTotal),
    vramUsedMb: bytesToMb(vramUsed),
    utilizationPct: parsePercent(busy),
    source: 'sysfs',
  };
}

/**
 * The PCI address from a device's `uevent` file (`PCI_SLOT_NAME=0000:03:00.0`).
 *
 * @example
 * parseUeventSlot('DRIVER=amdgpu\nPCI_SLOT_NAME=0000:03:00.0\n'); // '0000:03:00.0'
 */
export function parseUeventSlot(uevent: string | null): string | null {
  const m = /^PCI_SLOT_NAME=(.+)$/m.exec(uevent ?? '');
  return m ? normalizePciBusId(m[1]) : null;
}

/**
 * A missing or unreadable attribute is an unknown value, not a failure: drivers differ in what
 * they expose, and some attributes fail with EBUSY/ENODEV while the device is runtime-suspended.
 */
async function readOptional(fs: ProbeFs, path: string): Promise<string | null> {
  try {
    return (await fs.readFile(path)).trim();
  } catch {
    return null;
  }
}

function bytesToMb(raw: string | null): number | null {
  if (raw === null || !/^\d+$/.test(raw)) return null;
  return Math.round(Number(raw) / (1024 * 1024));
}

function parsePercent(raw: string | null): number | null {
  if (raw === null || !/^\d+$/.test(raw)) return null;
  return Math.min(Number(raw), 100);
}

function byCardNumber(a: string, b: string): number {
  return Number(a.slice(4)) - Number(b.slice(4));
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
