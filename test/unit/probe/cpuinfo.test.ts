/**
 * /proc/cpuinfo read as a file (agent/probe/cpuinfo.ts, issue 17) instead of systeminformation's
 * lscpu and dmidecode runs. The expected brands are what systeminformation 5 makes of the same
 * `model name` (its getCpu and cpuBrandManufacturer); hardware-real.test.ts compares the two on
 * this machine.
 */
import { describe, expect, it } from 'vitest';
import { parseCpuinfo, readCpuinfo } from '../../../agent/probe/cpuinfo.js';
import { createFakeFs } from '../../fakes/io.js';

/** `count` processor blocks as an x86 kernel writes them. */
function x86(model: string, o: { threads: number; coresPerSocket: number; sockets?: number }): string {
  const sockets = o.sockets ?? 1;
  const perSocket = o.threads / sockets;
  return Array.from({ length: o.threads }, (_, i) =>
    [
      `processor\t: ${i}`,
      'vendor_id\t: GenuineIntel',
      `model name\t: ${model}`,
      'cpu MHz\t\t: 3700.000',
      `physical id\t: ${Math.floor(i / perSocket)}`,
      `siblings\t: ${perSocket}`,
      `core id\t\t: ${i % o.coresPerSocket}`,
      `cpu cores\t: ${o.coresPerSocket}`,
      'flags\t\t: fpu vme de pse tsc msr',
      '',
    ].join('\n'),
  ).join('\n');
}

describe('parseCpuinfo', () => {
  it.each([
    ['Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', { threads: 12, coresPerSocket: 6 }, { manufacturer: 'Intel', brand: 'Core™ i7-8700K', cores: 12, physicalCores: 6 }],
    ['AMD Ryzen 9 7950X3D 16-Core Processor', { threads: 32, coresPerSocket: 16 }, { manufacturer: 'AMD', brand: 'Ryzen 9 7950X3D 16-Core Processor', cores: 32, physicalCores: 16 }],
    ['Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz', { threads: 80, coresPerSocket: 20, sockets: 2 }, { manufacturer: 'Intel', brand: 'Xeon® Gold 6248', cores: 80, physicalCores: 40 }],
    ['Intel(R) N100', { threads: 4, coresPerSocket: 4 }, { manufacturer: 'Intel', brand: 'N100', cores: 4, physicalCores: 4 }],
    ['AMD EPYC', { threads: 2, coresPerSocket: 2 }, { manufacturer: 'AMD', brand: 'EPYC', cores: 2, physicalCores: 2 }],
    ['QEMU Virtual CPU version 2.5+', { threads: 4, coresPerSocket: 4 }, { manufacturer: 'QEMU', brand: 'Virtual version 2.5+', cores: 4, physicalCores: 4 }],
    ['Genuine Intel(R) CPU 0000 @ 2.20GHz Unknown', { threads: 2, coresPerSocket: 2 }, { manufacturer: 'Intel', brand: 'Intel® 0000', cores: 2, physicalCores: 2 }],
  ])('%s', (model, shape, expected) => {
    expect(parseCpuinfo(x86(model, shape))).toEqual(expected);
  });

  it('an ARM board (no model name, no cpu cores) is left to systeminformation: null', () => {
    const pi = ['processor\t: 0', 'BogoMIPS\t: 108.00', 'Features\t: fp asimd evtstrm crc32 cpuid', 'CPU implementer\t: 0x41', 'CPU part\t: 0xd08', '', 'Hardware\t: BCM2835', 'Model\t\t: Raspberry Pi 4 Model B Rev 1.4', ''].join('\n');
    expect(parseCpuinfo(pi)).toBeNull();
  });

  it.each([[''], ['garbage without colons'], [x86('Intel(R) N100', { threads: 4, coresPerSocket: 4 }).replace(/cpu cores\t: 4/g, 'cpu cores\t: none')]])('%j is null', (text) => {
    expect(parseCpuinfo(text)).toBeNull();
  });
});

describe('readCpuinfo', () => {
  it('reads /proc/cpuinfo, and is null when it cannot', async () => {
    expect(await readCpuinfo(createFakeFs({ '/proc/cpuinfo': x86('AMD EPYC', { threads: 2, coresPerSocket: 2 }) }))).toMatchObject({ manufacturer: 'AMD', cores: 2 });
    expect(await readCpuinfo(createFakeFs({}))).toBeNull();
  });
});
