import { ADVERT_VERSION, type NodeAdvert } from '../../discovery/advert.js';

/** A realistic gaming-PC advert for formatting and API tests. */
export function sampleAdvert(overrides: Partial<NodeAdvert> = {}): NodeAdvert {
  const t = Date.UTC(2026, 10, 22, 12, 0, 0);
  return {
    v: ADVERT_VERSION,
    nodeId: '3f2a9c1e000000000000000000000000',
    name: 'gaming-pc',
    agentVersion: '0.1.0',
    startedAtMs: t - (2 * 3600 + 5 * 60) * 1000,
    port: 7650,
    hardware: {
      cpu: { model: 'AMD Ryzen 7 7800X3D', cores: 16, physicalCores: 8 },
      memTotalMb: 32 * 1024,
      os: { platform: 'win32', distro: 'Microsoft Windows 11 Pro', release: '10.0.22631', arch: 'x64' },
      gpus: [
        { vendor: 'nvidia', model: 'NVIDIA GeForce RTX 4080', busId: '0000:01:00.0', vramTotalMb: 16376, vramUsedMb: 1210, utilizationPct: 3, source: 'nvidia-smi' },
      ],
    },
    services: {
      ollama: {
        url: 'http://127.0.0.1:11434',
        state: 'up',
        reason: null,
        version: '0.33.0',
        models: [
          { name: 'llama3.1:8b', sizeBytes: 4_920_753_328, family: 'llama', parameterSize: '8.0B', quantization: 'Q4_K_M' },
          { name: 'nomic-embed-text:latest', sizeBytes: 274_302_450, family: 'nomic-bert', parameterSize: '137M', quantization: 'F16' },
        ],
        loaded: [{ name: 'llama3.1:8b', sizeBytes: 6_654_289_920, sizeVramBytes: 6_654_289_920, expiresAt: '2026-11-22T12:05:00Z' }],
        checkedAtMs: t,
      },
      'immich-ml': { url: 'http://127.0.0.1:3003', state: 'down', reason: 'connection refused at http://127.0.0.1:3003', checkedAtMs: t, version: null, models: [], loaded: [] },
      whisper: null,
    },
    activity: { runningProcesses: ['steam'], gpuUtilizationPct: 3, checkedAtMs: t },
    network: { interfaces: [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', internal: false, addresses: [{ address: '192.168.1.20', family: 'IPv4', cidr: '192.168.1.20/24' }] }] },
    probes: {
      hardware: { ok: true, error: null, lastRunAtMs: t, durationMs: 40 },
      ollama: { ok: true, error: null, lastRunAtMs: t, durationMs: 5 },
      'immich-ml': { ok: true, error: null, lastRunAtMs: t, durationMs: 2 },
      activity: { ok: false, error: 'tasklist failed: access denied', lastRunAtMs: t, durationMs: 80 },
      network: { ok: true, error: null, lastRunAtMs: t, durationMs: 0 },
    },
    offer: null,
    offerState: null,
    offerOverride: null,
    members: [],
    offerOverrides: [],
    pins: [],
    serving: null,
    pausesImmichQueues: false,
    speed: null,
    ...overrides,
  };
}
