/**
 * The systeminformation functions the hardware probe uses, loaded one library file each instead
 * of the whole package: its index pulls in every library (docker, wifi, printers, …), about 7 MB of
 * resident memory an idle agent does not need (measured: 49 → 42 MB for a bare node process).
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import type { HardwareSi } from './probe/hardware.js';

const require = createRequire(import.meta.url);

/**
 * Each library file is required on its function's first call, not at start: on Linux the agent reads
 * CPU and OS from files (probe/cpuinfo.ts, probe/os-release.ts) and never calls cpu(), osInfo() or
 * graphics(), and loading their files cost every agent's start CPU (issue 17). So on Linux x86 the
 * agent does not load systeminformation at all.
 */
export function loadSystemInformation(): HardwareSi {
  return {
    cpu: () => (require('systeminformation/lib/cpu') as Pick<HardwareSi, 'cpu'>).cpu(),
    // systeminformation's total is /proc/meminfo's MemTotal on Linux and os.totalmem() elsewhere;
    // os.totalmem() is the same figure on Linux too (sysinfo(2)), without loading si's memory and
    // util files at every start (issue 17).
    mem: () => Promise.resolve({ total: os.totalmem() }),
    osInfo: () => (require('systeminformation/lib/osinfo') as Pick<HardwareSi, 'osInfo'>).osInfo(),
    graphics: () => (require('systeminformation/lib/graphics') as Pick<HardwareSi, 'graphics'>).graphics(),
  };
}
