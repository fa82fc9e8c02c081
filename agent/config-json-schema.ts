/**
 * The JSON Schema of agent.config.json, generated from the one zod schema (so editors can
 * complete and check the file, and the reference cannot drift from the code).
 */
import { z } from 'zod';
import { configSchema } from './config-schema.js';

export function configJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'inference-mesh agent configuration' }, null, 2)}\n`;
}
