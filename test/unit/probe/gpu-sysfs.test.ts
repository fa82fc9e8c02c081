import { describe, expect, it } from 'vitest';
import { gpuFactsSchema } from '../../../agent/kernel/shapes/facts.js';
import { parseUeventSlot, readSysfsGpus } from '../../../agent/probe/gpu-sysfs.js';
import { createFakeFs } from '../../fakes/io.js';
import { desktopSysfs } from './fixtures.js';

const drm = '/sys/class/drm';

describe('readSysfsGpus', () => {
  it('reads AMD and Intel cards, skips NVIDIA, connectors and render nodes', async () => {
    const fs = createFakeFs(desktopSysfs);
    const gpus = await readSysfsGpus(fs);
    expect(gpus).toEqual([
      {
        vendor: 'intel',
        model: 'Intel GPU (device 0x4680)',
        busId: '0000:00:02.0',
        vramTotalMb: null,
        vramUsedMb: null,
        utilizationPct: null,
        source: 'sysfs',
      },
      {
        vendor: 'amd',
        model: 'AMD GPU (device 0x744c)',
        busId: '0000:03:00.0',
        vramTotalMb: 24560,
        vramUsedMb: 1536,
        utilizationPct: 42,
        source: 'sysfs',
      },
      {
        vendor: 'amd',
        model: 'AMD Instinct MI210',
        busId: '0000:c1:00.0',
        vramTotalMb: 65520,
        vramUsedMb: 11,
        utilizationPct: 0,
        source: 'sysfs',
      },
    ]);
    for (const g of gpus) gpuFactsSchema.parse(g);
    expect(fs.reads.some((p) => p.includes('card1-DP-1'))).toBe(false);
    expect(fs.reads.some((p) => p.includes('renderD128'))).toBe(false);
  });

  it('no /sys/class/drm (container, not Linux) means no GPUs', async () => {
    expect(await readSysfsGpus(createFakeFs({}))).toEqual([]);
  });

  it('a card without a vendor file (simpledrm, SoC GPUs) is skipped', async () => {
    const fs = createFakeFs({ [`${drm}/card0/device/uevent`]: 'DRIVER=simple-framebuffer\n' });
    expect(await readSysfsGpus(fs)).toEqual([]);
  });

  it('garbage in a value file is unknown, not 0', async () => {
    const fs = createFakeFs({
      [`${drm}/card0/device/vendor`]: '0x1002\n',
      [`${drm}/card0/device/mem_info_vram_total`]: 'oops\n',
      [`${drm}/card0/device/gpu_busy_percent`]: '-1\n',
    });
    const [gpu] = await readSysfsGpus(fs);
    expect(gpu).toMatchObject({ model: 'AMD GPU', busId: null, vramTotalMb: null, utilizationPct: null });
  });

  it('other readdir failures reject', async () => {
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    const fs = { readFile: () => Promise.resolve(''), readdir: () => Promise.reject(denied) };
    await expect(readSysfsGpus(fs)).rejects.toBe(denied);
  });
});

describe('parseUeventSlot', () => {
  it.each([
    ['DRIVER=amdgpu\nPCI_SLOT_NAME=0000:03:00.0\n', '0000:03:00.0'],
    ['DRIVER=amdgpu\n', null],
    [null, null],
  ])('%j -> %s', (uevent, want) => {
    expect(parseUeventSlot(uevent)).toBe(want);
  });
});
