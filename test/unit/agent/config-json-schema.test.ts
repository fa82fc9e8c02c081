import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../agent/config-json-schema.js';

describe('docs/config.schema.json', () => {
  it('is exactly what the zod schema generates (run `npm run docs:schema` after changing the schema)', async () => {
    const committed = await readFile(new URL('../../../docs/config.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(configJsonSchema());
  });

  it('describes the documented keys with their defaults', () => {
    const schema = JSON.parse(configJsonSchema()) as { properties: Record<string, { properties?: Record<string, { default?: unknown }> }> };
    expect(schema.properties.api?.properties?.port?.default).toBe(7650);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['node', 'api', 'services', 'offer', 'placement', 'discovery', 'wakeOnLan']));
  });
});
