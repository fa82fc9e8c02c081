import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatStatus } from '../../../agent/cli/format-status.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const now = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('formatStatus', () => {
  it('prints hardware, Ollama with its models, Immich ML and failed probes as a table', () => {
    const text = formatStatus(sampleAdvert(), now);
    expect(text).toMatch(/^Node\s+gaming-pc \(3f2a9c1e\) · agent 0\.1\.0 · port 7650 · up 2 h 5 min$/m);
    expect(text).toMatch(/^CPU\s+AMD Ryzen 7 7800X3D · 16 threads \/ 8 cores$/m);
    expect(text).toMatch(/^GPU\s+NVIDIA GeForce RTX 4080 · VRAM 1\.2 \/ 16\.0 GB used · load 3 %$/m);
    expect(text).toMatch(/^Ollama\s+up · version 0\.33\.0 · http:\/\/127\.0\.0\.1:11434$/m);
    expect(text).toMatch(/^\s+MODEL\s+SIZE\s+FAMILY\s+PARAMS\s+QUANT\s+LOADED$/m);
    expect(text).toMatch(/^\s+llama3\.1:8b\s+4\.6 GB\s+llama\s+8\.0B\s+Q4_K_M\s+yes, 6\.2 GB in VRAM$/m);
    expect(text).toMatch(/^\s+nomic-embed-text:latest\s+261\.6 MB\s+nomic-bert\s+137M\s+F16\s+-$/m);
    expect(text).toMatch(/^Immich ML\s+down · connection refused at http:\/\/127\.0\.0\.1:3003$/m);
    expect(text).toMatch(/^Activity\s+running: steam · GPU load 3 %$/m);
    expect(text).toMatch(/^Probe\s+activity failed: tasklist failed: access denied$/m);
  });

  it('says "unknown" for figures the platform does not give, never 0', () => {
    const advert = sampleAdvert();
    const gpu = advert.hardware?.gpus[0];
    if (!gpu) throw new Error('fixture');
    Object.assign(gpu, { vendor: 'amd', model: 'Radeon RX 7900 XTX', vramUsedMb: null, utilizationPct: null });
    advert.activity = { runningProcesses: [], gpuUtilizationPct: null, checkedAtMs: now };
    const text = formatStatus(advert, now);
    expect(text).toMatch(/^GPU\s+AMD Radeon RX 7900 XTX · VRAM \? \/ 16\.0 GB used · load unknown$/m);
    expect(text).toMatch(/^Activity\s+no watched process running · GPU load unknown$/m);
  });

  it('a node that is still starting says so instead of inventing values', () => {
    const text = formatStatus(sampleAdvert({ hardware: null, services: { ollama: null, 'immich-ml': null, whisper: null }, activity: null }), now);
    expect(text).toMatch(/^Hardware\s+not probed yet$/m);
    expect(text).toMatch(/^Ollama\s+not probed/m);
  });

  it.each([
    [0, '0 B'],
    [1536, '1.5 KB'],
    [4_920_753_328, '4.6 GB'],
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it.each([
    [5_000, '5 s'],
    [90 * 60_000, '1 h 30 min'],
    [26 * 3_600_000, '1 d 2 h'],
  ])('formatDuration(%d) = %s', (n, s) => expect(formatDuration(n)).toBe(s));
});
