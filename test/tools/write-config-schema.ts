/** npm run docs:schema — writes docs/config.schema.json from the zod schema. */
import { writeFile } from 'node:fs/promises';
import { configJsonSchema } from '../../agent/config-json-schema.js';

await writeFile(new URL('../../docs/config.schema.json', import.meta.url), configJsonSchema());
console.log('wrote docs/config.schema.json');
