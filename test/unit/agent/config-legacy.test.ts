import { describe, expect, it } from 'vitest';
import { migrateLegacyKeys } from '../../../agent/config-legacy.js';
import { configSchema } from '../../../agent/config-schema.js';

describe('config keys from before the kinds registry (issue 13)', () => {
  it('reads each old key under its new name and says so, one note per key', () => {
    const r = migrateLegacyKeys({
      services: { immichMl: { url: 'http://10.0.0.2:3003' } },
      proxy: { ollamaPort: 11434, immichMlPort: 3003, ollamaFirstByteTimeoutMs: 5000, immichTimeoutMs: 7000 },
      discovery: { endpoints: [{ name: 'nas', ollamaUrl: 'http://10.0.0.9:11434', immichMlUrl: 'http://10.0.0.9:3003' }] },
    });
    expect(r.conflicts).toEqual([]);
    const config = configSchema.parse(r.raw);
    expect(config.services['immich-ml']).toMatchObject({ url: 'http://10.0.0.2:3003', port: 3003, firstByteTimeoutMs: 7000 });
    expect(config.services.ollama).toMatchObject({ port: 11434, firstByteTimeoutMs: 5000 });
    expect(config.discovery.endpoints[0]?.urls).toEqual({ ollama: 'http://10.0.0.9:11434', 'immich-ml': 'http://10.0.0.9:3003' });
    expect(r.notes).toHaveLength(6);
    expect(r.notes[0]).toBe('services.immichMl is read as services["immich-ml"]; please rename it in the config file');
  });

  it('a key given under both names is an error naming both, not a guess', () => {
    const r = migrateLegacyKeys({ proxy: { ollamaPort: 1 }, services: { ollama: { port: 2 } } });
    expect(r.conflicts).toEqual([{ path: 'proxy.ollamaPort', message: 'the old name of services.ollama.port, which is also set: keep only services.ollama.port' }]);
  });

  it('leaves a current file alone and does not change the input', () => {
    const input = { services: { 'immich-ml': { enabled: false } } };
    const r = migrateLegacyKeys(input);
    expect(r).toEqual({ raw: input, notes: [], conflicts: [] });
    expect(migrateLegacyKeys({ services: { immichMl: {} } }).raw).not.toBe(input);
  });
});
