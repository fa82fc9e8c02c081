/** npm run docs:config — writes docs/configuration.md from the zod schema. */
import { writeFile } from 'node:fs/promises';
import { configReference } from '../../agent/config-reference.js';

await writeFile(new URL('../../docs/configuration.md', import.meta.url), configReference());
console.log('wrote docs/configuration.md');
