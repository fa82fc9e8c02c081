import { describe, expect, it } from 'vitest';
import { ExecError } from '../../../agent/kernel/exec.js';
import { hardwareFactsSchema, type GpuFacts } from '../../../agent/kernel/shapes/facts.js';
import {
  dedupeGpus,
  gpuFromController,
  normalizeVendor,
  overlayNvidia,
  createHardwareProbe,
  probeHardware,
  type HardwareSi,
} from '../../../agent/probe/hardware.js';
import { createFakeExec, createFakeFs, ok } from '../../fakes/io.js';
import { createGpuUtilizationReader } from '../../../agent/probe/activity.js';
import { createNvidiaReader } from '../../../agent/probe/gpu-nvidia.js';
import { desktopSysfs } from './fixtures.js';

type Controllers = NonNullable<Awaited<ReturnType<HardwareSi['graphics']>>>['controllers'];

/** A systeminformation stand-in; counts graphics() calls because Linux must never make one. */
function fakeSi(controllers: Controllers = []): HardwareSi & { graphicsCalls: number; cpuCalls: number } {
  const si = {
    graphicsCalls: 0,
    cpuCalls: 0,
    cpu: () => {
      si.cpuCalls += 1;
      return Promise.resolve({ manufacturer: 'AMD', brand: 'Ryzen 9 7950X3D 16-Core Processor', cores: 32, physicalCores: 16 });
    },
    mem: () => Promise.resolve({ total: 64 * 1024 ** 3 }),
    osInfo: () => Promise.resolve({ distro: 'Ubuntu', release: '24.04.1 LTS', arch: 'x64' }),
    graphics: () => {
      si.graphicsCalls += 1;
      return Promise.resolve({ controllers });
    },
  };
  return si;
}

const gpu = (p: Partial<GpuFacts>): GpuFacts => ({
  vendor: 'nvidia',
  model: 'x',
  busId: null,
  vramTotalMb: null,
  vramUsedMb: null,
  utilizationPct: null,
  source: 'nvidia-smi',
  ...p,
});

describe('probeHardware on Linux', () => {
  it('takes the CPU from /proc/cpuinfo when it has x86 fields, without si.cpu() (lscpu, dmidecode: issue 17)', async () => {
    const si = fakeSi();
    const block = (i: number): string => `processor\t: ${i}\nmodel name\t: Intel(R) Core(TM) i5-12400 CPU @ 2.50GHz\nphysical id\t: 0\ncpu cores\t: 6\n`;
    const cpuinfo = Array.from({ length: 12 }, (_, i) => block(i)).join('\n');
    const facts = await probeHardware({ si, exec: createFakeExec({}), fs: createFakeFs({ '/proc/cpuinfo': cpuinfo }), platform: 'linux', arch: 'x64' });
    expect(facts.cpu).toEqual({ model: 'Intel Core™ i5-12400', cores: 12, physicalCores: 6 });
    expect(si.cpuCalls).toBe(0);
    // An ARM board's cpuinfo has no model name: systeminformation as before.
    const arm = fakeSi();
    await probeHardware({ si: arm, exec: createFakeExec({}), fs: createFakeFs({ '/proc/cpuinfo': 'processor\t: 0\nCPU part\t: 0xd08\n' }), platform: 'linux', arch: 'arm64' });
    expect(arm.cpuCalls).toBe(1);
  });

  it('reads sysfs + nvidia-smi and never calls si.graphics()', async () => {
    const si = fakeSi();
    const exec = createFakeExec({ 'nvidia-smi': ok('NVIDIA GeForce RTX 4090, 00000000:01:00.0, 24564, 1843, 37\n') });
    const osRelease = { '/etc/os-release': 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\n' };
    const facts = hardwareFactsSchema.parse(
      await probeHardware({ si, exec, fs: createFakeFs({ ...desktopSysfs, ...osRelease }), platform: 'linux', arch: 'x64' }),
    );
    expect(si.graphicsCalls).toBe(0);
    expect(facts.cpu).toEqual({ model: 'AMD Ryzen 9 7950X3D 16-Core Processor', cores: 32, physicalCores: 16 });
    expect(facts.memTotalMb).toBe(65536);
    expect(facts.os).toEqual({ platform: 'linux', distro: 'Ubuntu', release: '24.04.1 LTS', arch: 'x64' });
    expect(facts.gpus.map((g) => [g.vendor, g.busId, g.source])).toEqual([
      ['nvidia', '0000:01:00.0', 'nvidia-smi'],
      ['intel', '0000:00:02.0', 'sysfs'],
      ['amd', '0000:03:00.0', 'sysfs'],
      ['amd', '0000:c1:00.0', 'sysfs'],
    ]);
  });

  it('a machine without GPUs: no nvidia-smi, no /sys/class/drm', async () => {
    const si = fakeSi();
    const facts = await probeHardware({ si, exec: createFakeExec({}), fs: createFakeFs({}), platform: 'linux', arch: 'x64' });
    expect(hardwareFactsSchema.parse(facts).gpus).toEqual([]);
    expect(si.graphicsCalls).toBe(0);
  });

  it('a broken nvidia-smi fails the probe with its message', async () => {
    const exec = createFakeExec({ 'nvidia-smi': new ExecError('EXIT', 'nvidia-smi failed: Driver/library version mismatch') });
    await expect(probeHardware({ si: fakeSi(), exec, fs: createFakeFs({}), platform: 'linux', arch: 'x64' })).rejects.toThrow(
      'version mismatch',
    );
  });
});

describe('createHardwareProbe', () => {
  it('reads CPU, memory and OS once and the GPUs on every run', async () => {
    const si = fakeSi();
    const exec = createFakeExec({ 'nvidia-smi': ok('NVIDIA GeForce RTX 4090, 00000000:01:00.0, 24564, 1843, 37\n') });
    const fs = createFakeFs({ '/etc/os-release': 'NAME="Fedora Linux"\nVERSION_ID=41\n' });
    const probe = createHardwareProbe({ si, exec, fs, platform: 'linux', arch: 'x64' });
    const first = await probe();
    const second = await probe();
    expect(second).toEqual(first);
    expect(first.os).toEqual({ platform: 'linux', distro: 'Fedora Linux', release: '41', arch: 'x64' });
    expect([si.cpuCalls, fs.reads.filter((f) => f.includes('os-release'))]).toEqual([1, ['/etc/os-release']]);
    expect(exec.calls).toHaveLength(2);
  });

  it('a failed read of the static parts is not kept: the next run asks again', async () => {
    const si = fakeSi();
    const cpu = si.cpu;
    let fail = true;
    si.cpu = () => (fail ? Promise.reject(new Error('lscpu failed')) : cpu());
    const probe = createHardwareProbe({ si, exec: createFakeExec({}), fs: createFakeFs({}), platform: 'linux', arch: 'x64' });
    await expect(probe()).rejects.toThrow('lscpu failed');
    fail = false;
    expect((await probe()).cpu.cores).toBe(32);
  });
});

describe('one NVIDIA reader for the hardware and activity probes', () => {
  it('an absent nvidia-smi found by either probe is not run again by the other', async () => {
    const exec = createFakeExec({});
    const nvidia = createNvidiaReader({ exec, platform: 'linux', nowMs: () => 0 });
    await createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs({}), nowMs: () => 0, nvidia })();
    await createHardwareProbe({ si: fakeSi(), exec, fs: createFakeFs({}), platform: 'linux', arch: 'x64', nvidia })();
    expect(exec.calls).toHaveLength(1);
  });

  it('both probes asking at once (at start-up) share one nvidia-smi run', async () => {
    const exec = createFakeExec({});
    const nvidia = createNvidiaReader({ exec, platform: 'linux', nowMs: () => 0 });
    await Promise.all([
      createGpuUtilizationReader({ exec, platform: 'linux', fs: createFakeFs({}), nowMs: () => 0, nvidia })(),
      createHardwareProbe({ si: fakeSi(), exec, fs: createFakeFs({}), platform: 'linux', arch: 'x64', nvidia })(),
    ]);
    expect(exec.calls).toHaveLength(1);
  });
});

describe('probeHardware on Windows', () => {
  // What si.graphics() gives on a Windows desktop: its own nvidia-smi merge set pciBus on the
  // first card only; the iGPU shares memory; the RDP adapter is virtual.
  const controllers: Controllers = [
    { vendor: 'NVIDIA', model: 'NVIDIA GeForce RTX 4070', vram: 12282, vramDynamic: false, pciBus: '00000000:01:00.0', memoryUsed: 900 },
    { vendor: 'NVIDIA', model: 'NVIDIA GeForce RTX 3060', vram: 4095.99, vramDynamic: false },
    { vendor: 'Intel Corporation', model: 'Intel(R) UHD Graphics 770', vram: 128, vramDynamic: true },
    { vendor: 'Microsoft', model: 'Microsoft Remote Display Adapter', vram: 0, vramDynamic: false },
  ];
  const smi =
    'NVIDIA GeForce RTX 4070, 00000000:01:00.0, 12282, 1400, 12\r\n' +
    'NVIDIA GeForce RTX 3060, 00000000:05:00.0, 12288, 300, 0\r\n' +
    'NVIDIA GeForce GTX 1650, 00000000:06:00.0, 4096, 0, 0\r\n';

  it('takes the inventory from si.graphics() and overlays async nvidia-smi figures', async () => {
    const si = fakeSi(controllers);
    const exec = createFakeExec({ 'nvidia-smi.exe': ok(smi) });
    const facts = hardwareFactsSchema.parse(await probeHardware({ si, exec, fs: createFakeFs({}), platform: 'win32', arch: 'x64' }));
    expect(si.graphicsCalls).toBe(1);
    expect(exec.calls.map((c) => c.file)).toEqual(['nvidia-smi.exe']);
    expect(facts.os.platform).toBe('win32');
    expect(facts.gpus).toEqual([
      gpu({ model: 'NVIDIA GeForce RTX 4070', busId: '0000:01:00.0', vramTotalMb: 12282, vramUsedMb: 1400, utilizationPct: 12 }),
      // matched by model name: si had no bus id and a 32-bit-capped VRAM figure
      gpu({ model: 'NVIDIA GeForce RTX 3060', busId: '0000:05:00.0', vramTotalMb: 12288, vramUsedMb: 300, utilizationPct: 0 }),
      {
        vendor: 'intel',
        model: 'Intel(R) UHD Graphics 770',
        busId: null,
        vramTotalMb: null,
        vramUsedMb: null,
        utilizationPct: null,
        source: 'systeminformation',
      },
      // nvidia-smi saw a card the inventory did not
      gpu({ model: 'NVIDIA GeForce GTX 1650', busId: '0000:06:00.0', vramTotalMb: 4096, vramUsedMb: 0, utilizationPct: 0 }),
    ]);
  });

  it('without nvidia-smi the inventory stands on its own', async () => {
    const si = fakeSi(controllers);
    const facts = await probeHardware({ si, exec: createFakeExec({}), fs: createFakeFs({}), platform: 'win32', arch: 'x64' });
    expect(hardwareFactsSchema.parse(facts).gpus.map((g) => [g.model, g.vramTotalMb, g.source])).toEqual([
      ['NVIDIA GeForce RTX 4070', 12282, 'systeminformation'],
      ['NVIDIA GeForce RTX 3060', 4096, 'systeminformation'],
      ['Intel(R) UHD Graphics 770', null, 'systeminformation'],
    ]);
  });
});

describe('probeHardware on macOS', () => {
  it('Apple Silicon: unified memory, so VRAM is unknown', async () => {
    const si = fakeSi([{ vendor: 'Apple', model: 'Apple M2 Pro', vram: null, vramDynamic: true, vendorId: '0x106b' }]);
    const facts = hardwareFactsSchema.parse(
      await probeHardware({ si, exec: createFakeExec({}), fs: createFakeFs({}), platform: 'darwin', arch: 'arm64' }),
    );
    expect(facts.gpus).toEqual([
      {
        vendor: 'apple',
        model: 'Apple M2 Pro',
        busId: null,
        vramTotalMb: null,
        vramUsedMb: null,
        utilizationPct: null,
        source: 'systeminformation',
      },
    ]);
  });
});

describe('probeHardware on FreeBSD', () => {
  it('si.graphics() resolving null there means no inventory, not a crash', async () => {
    const si = { ...fakeSi(), graphics: () => Promise.resolve(null) };
    const exec = createFakeExec({ 'nvidia-smi': ok('NVIDIA RTX A2000, 00000000:01:00.0, 6138, 0, 0\n') });
    const facts = hardwareFactsSchema.parse(await probeHardware({ si, exec, fs: createFakeFs({}), platform: 'freebsd', arch: 'x64' }));
    expect(facts.gpus.map((g) => g.model)).toEqual(['NVIDIA RTX A2000']);
  });
});

describe('GPU helpers', () => {
  it.each([
    ['NVIDIA', undefined, 'nvidia'],
    ['Advanced Micro Devices, Inc.', undefined, 'amd'],
    ['ATI Technologies Inc.', undefined, 'amd'],
    ['AMD', undefined, 'amd'],
    ['Intel Corporation', undefined, 'intel'],
    ['Apple', undefined, 'apple'],
    ['', '0x1002', 'amd'],
    ['', '10de', 'nvidia'],
    ['Matrox', undefined, 'other'],
  ] as const)('normalizeVendor(%j, %j) = %s', (vendor, vendorId, want) => {
    expect(normalizeVendor(vendor, vendorId)).toBe(want);
  });

  it('gpuFromController: zero is what si leaves when it does not know', () => {
    expect(gpuFromController({ vendor: 'NVIDIA', model: '', name: 'RTX A4000', vram: 0, vramDynamic: false, utilizationGpu: 150 })).toMatchObject({
      model: 'RTX A4000',
      vramTotalMb: null,
      utilizationPct: 100,
    });
  });

  it('overlayNvidia: two identical cards without bus ids are matched one each', () => {
    const inv = [gpu({ model: 'GeForce RTX 3090', source: 'systeminformation' }), gpu({ model: 'GeForce RTX 3090', source: 'systeminformation' })];
    const live = [gpu({ model: 'NVIDIA GeForce RTX 3090', busId: '0000:01:00.0' }), gpu({ model: 'NVIDIA GeForce RTX 3090', busId: '0000:02:00.0' })];
    expect(overlayNvidia(inv, live).map((g) => g.busId)).toEqual(['0000:01:00.0', '0000:02:00.0']);
  });

  it('dedupeGpus keeps the first entry per bus id and every entry without one', () => {
    const gpus = [gpu({ busId: 'a', model: '1' }), gpu({ busId: 'a', model: '2' }), gpu({ model: '3' }), gpu({ model: '3' })];
    expect(dedupeGpus(gpus).map((g) => g.model)).toEqual(['1', '3', '3']);
  });
});
