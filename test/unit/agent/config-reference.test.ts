import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../../agent/config-reference.js';

describe('docs/configuration.md', () => {
  it('is exactly what the zod schema generates (run `npm run docs:config` after changing the schema)', async () => {
    const committed = await readFile(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(configReference());
  });

  it('lists every key path with its type, default and range', () => {
    const md = configReference();
    expect(md).toContain('| `api.port` | integer | `7650` | 0–65535 |');
    expect(md).toContain('| `log.level` | string | `"info"` | `debug`, `info`, `warn`, `error`, `silent` |');
    expect(md).toContain('| `offer.windows[].from` | string (required) |');
    expect(md).toContain('| `discovery.endpoints[].name` | string (required) |');
    for (const section of ['node', 'api', 'dataDir', 'services', 'probes', 'offer', 'placement', 'immich', 'proxy', 'wakeOnLan', 'discovery', 'mesh', 'log']) {
      expect(md).toContain(`## \`${section}\``);
    }
  });

  it('carries the .describe() texts and keeps every table row on one line', () => {
    const md = configReference();
    expect(md).toMatch(/\| `services\.ollama\.port` \|[^\n]*11434/);
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    for (const r of rows) expect(r.endsWith('|'), r).toBe(true);
  });
});
