import { describe, expect, it } from 'vitest';
import { ExecError } from '../../../agent/kernel/exec.js';
import { gpuFactsSchema, type GpuFacts } from '../../../agent/kernel/shapes/facts.js';
import { normalizePciBusId, nvidiaSmiArgs, parseNvidiaSmiCsv, readNvidiaGpus } from '../../../agent/probe/gpu-nvidia.js';
import { createFakeExec, ok } from '../../fakes/io.js';
import { nvidiaSmiNotAvailable as notAvailable, nvidiaSmiTwoGpus as twoGpus, nvidiaSmiWindowsCrlf as windowsCrlf } from './fixtures.js';


const nvidia = (p: Partial<GpuFacts>): GpuFacts => ({
  vendor: 'nvidia',
  model: '',
  busId: null,
  vramTotalMb: null,
  vramUsedMb: null,
  utilizationPct: null,
  source: 'nvidia-smi',
  ...p,
});

describe('parseNvidiaSmiCsv', () => {
  const cases: { name: string; stdout: string; want: GpuFacts[] }[] = [
    {
      name: 'two GPUs, the second idle (0 stays 0: it was measured)',
      stdout: twoGpus,
      want: [
        nvidia({ model: 'NVIDIA GeForce RTX 4090', busId: '0000:01:00.0', vramTotalMb: 24564, vramUsedMb: 1843, utilizationPct: 37 }),
        nvidia({ model: 'NVIDIA GeForce RTX 3060', busId: '0000:0a:00.0', vramTotalMb: 12288, vramUsedMb: 0, utilizationPct: 0 }),
      ],
    },
    {
      name: '[N/A], N/A, [Not Supported] and empty fields are unknown (null)',
      stdout: notAvailable,
      want: [
        nvidia({ model: 'NVIDIA GeForce MX450', busId: '0000:2b:00.0', vramTotalMb: 2048 }),
        nvidia({ model: 'NVIDIA GH200 480GB', busId: '0009:01:00.0' }),
        nvidia({ model: 'NVIDIA GPU' }),
      ],
    },
    {
      name: 'CRLF line ends and a blank line (Windows)',
      stdout: windowsCrlf,
      want: [nvidia({ model: 'NVIDIA GeForce RTX 3080', busId: '0000:01:00.0', vramTotalMb: 10240, vramUsedMb: 812, utilizationPct: 4 })],
    },
    { name: 'no output', stdout: '', want: [] },
    { name: 'a line with too few columns is skipped', stdout: 'No devices were found\n', want: [] },
    {
      name: 'a comma inside the name keeps the last four columns in place',
      stdout: 'Weird, Name, 00000000:01:00.0, 100, 10, 5\n',
      want: [nvidia({ model: 'Weird, Name', busId: '0000:01:00.0', vramTotalMb: 100, vramUsedMb: 10, utilizationPct: 5 })],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const gpus = parseNvidiaSmiCsv(c.stdout);
      expect(gpus).toEqual(c.want);
      for (const g of gpus) gpuFactsSchema.parse(g);
    });
  }
});

describe('normalizePciBusId', () => {
  const cases: [string | undefined, string | null][] = [
    ['00000000:01:00.0', '0000:01:00.0'],
    ['0000:0A:00.1', '0000:0a:00.1'],
    ['01:00.0', '0000:01:00.0'],
    ['00000009:01:00.0', '0009:01:00.0'],
    ['[N/A]', null],
    ['', null],
    [undefined, null],
  ];
  it.each(cases)('%s -> %s', (raw, want) => {
    expect(normalizePciBusId(raw)).toBe(want);
  });
});

describe('readNvidiaGpus', () => {
  it('runs nvidia-smi asynchronously with the query and parses it', async () => {
    const exec = createFakeExec({ 'nvidia-smi': ok(twoGpus) });
    const signal = new AbortController().signal;
    const gpus = await readNvidiaGpus({ exec, platform: 'linux' }, signal);
    expect(gpus.map((g) => g.model)).toEqual(['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 3060']);
    expect(exec.calls).toHaveLength(1);
    expect(exec.calls[0]?.args).toEqual([...nvidiaSmiArgs]);
    expect(exec.calls[0]?.opts.signal).toBe(signal);
    expect(exec.calls[0]?.opts.timeoutMs).toBeGreaterThan(0);
  });

  it('uses nvidia-smi.exe on Windows', async () => {
    const exec = createFakeExec({ 'nvidia-smi.exe': ok(windowsCrlf) });
    expect(await readNvidiaGpus({ exec, platform: 'win32' })).toHaveLength(1);
  });

  it('a missing nvidia-smi (ENOENT) means no NVIDIA GPU', async () => {
    const exec = createFakeExec({});
    expect(await readNvidiaGpus({ exec, platform: 'linux' })).toEqual([]);
  });

  it('other failures reject so the probe reports them', async () => {
    const mismatch = new ExecError('EXIT', 'nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch');
    const exec = createFakeExec({ 'nvidia-smi': mismatch });
    await expect(readNvidiaGpus({ exec, platform: 'linux' })).rejects.toBe(mismatch);
    const timeout = createFakeExec({ 'nvidia-smi': new ExecError('ETIMEDOUT', 'nvidia-smi timed out') });
    await expect(readNvidiaGpus({ exec: timeout, platform: 'linux' })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });
});
