import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The package version, read once from package.json so it is never written twice. The file is one
 * two levels up from agent/kernel/ when run from source and three levels up from dist/agent/kernel/ when built.
 */
const require = createRequire(import.meta.url);
const candidates = ['../../package.json', '../../../package.json'].map((p) => new URL(p, import.meta.url));
const file = candidates.find((url) => existsSync(url)) ?? candidates[0];
export const AGENT_VERSION: string = (require(file?.pathname ?? '../../package.json') as { version: string }).version;
