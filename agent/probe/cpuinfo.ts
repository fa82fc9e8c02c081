/**
 * The CPU's name and core counts on Linux from /proc/cpuinfo, read as a file. systeminformation's
 * cpu() gets them by running lscpu twice, `cat` and dmidecode, each in a shell: ~55 ms of CPU
 * (half of it in the children) at every agent's start, which 20 agents starting together after a
 * power cut wait for on the shared cores (issue 17). The values follow systeminformation's rules,
 * so an advert reads the same either way, with one difference: where lscpu also shows a "BIOS Model
 * name" (some bare-metal boards), si prefers that one; the kernel's `model name` read here is
 * normally the same text. A file without x86's fields (`model name`, `cpu cores`,
 * as on most ARM boards, whose names si decodes from other sources) gives null, and the caller
 * asks systeminformation as before.
 */
import type { ProbeFs } from './gpu-sysfs.js';

export const CPUINFO_FILE = '/proc/cpuinfo';

export interface CpuIdentity {
  /** si's manufacturer: "Intel", "AMD", … (cpuManufacturer). */
  manufacturer: string;
  /** si's brand: the model name without its maker, "(R)" as ®, "(TM)" as ™, no "CPU" and no "@ clock". */
  brand: string;
  /** Logical processors (threads). */
  cores: number;
  /** Cores per socket × sockets. */
  physicalCores: number;
}

/**
 * Parses /proc/cpuinfo: one block of `key : value` lines per logical processor.
 *
 * @example
 * parseCpuinfo('processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz\nphysical id\t: 0\ncpu cores\t: 6\n');
 * // { manufacturer: 'Intel', brand: 'Core™ i7-8700K', cores: 1, physicalCores: 6 }
 */
export function parseCpuinfo(text: string): CpuIdentity | null {
  let processors = 0;
  let modelName: string | null = null;
  let coresPerSocket: number | null = null;
  const sockets = new Set<string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key === 'processor') processors++;
    else if (key === 'model name') modelName ??= value;
    else if (key === 'cpu cores') coresPerSocket ??= Number.parseInt(value, 10);
    else if (key === 'physical id') sockets.add(value);
  }
  if (processors === 0 || !modelName || coresPerSocket === null || !Number.isInteger(coresPerSocket) || coresPerSocket <= 0) return null;
  return { ...brandAndMaker(modelName), cores: processors, physicalCores: coresPerSocket * Math.max(1, sockets.size) };
}

/** /proc/cpuinfo's identity, or null when it cannot be read or lacks the fields (then: systeminformation). */
export async function readCpuinfo(fs: ProbeFs): Promise<CpuIdentity | null> {
  try {
    return parseCpuinfo(await fs.readFile(CPUINFO_FILE));
  } catch {
    return null;
  }
}

/** systeminformation's getCpu (Linux) and cpuBrandManufacturer, applied to a `model name`. */
function brandAndMaker(modelName: string): { manufacturer: string; brand: string } {
  let brand = (modelName.replace(/To Be Filled By O.E.M./g, '').split('@')[0] ?? '').trim();
  if (brand.includes('Unknown')) brand = (brand.split('Unknown')[0] ?? '').trim();
  const tidy = (s: string): string => s.replace(/\s+/g, ' ').trim();
  brand = tidy(brand.replace(/\(R\)+/g, '®'));
  brand = tidy(brand.replace(/\(TM\)+/g, '™'));
  brand = tidy(brand.replace(/\(C\)+/g, '©'));
  brand = tidy(brand.replace(/CPU+/g, ''));
  const manufacturer = cpuManufacturer(brand);
  return { manufacturer, brand: brand.split(' ').slice(1).join(' ') };
}

/** systeminformation's cpuManufacturer, in its order (a later match wins). Its "Xen" rule never matches (it looks for "Xen" in the lower-cased string), so it is left out. */
const MAKERS: readonly (readonly [needle: string, name: string])[] = [
  ['intel', 'Intel'],
  ['amd', 'AMD'],
  ['qemu', 'QEMU'],
  ['hygon', 'Hygon'],
  ['centaur', 'WinChip/Via'],
  ['vmware', 'VMware'],
  ['tcg', 'QEMU'],
  ['apple', 'Apple'],
  ['sifive', 'SiFive'],
  ['thead', 'T-Head'],
  ['andestech', 'Andes Technology'],
];

/** The maker named in a brand string, else the string itself (si's cpuManufacturer). */
function cpuManufacturer(brand: string): string {
  const lower = brand.toLowerCase();
  let result = brand;
  for (const [needle, name] of MAKERS) if (lower.includes(needle)) result = name;
  return result;
}
