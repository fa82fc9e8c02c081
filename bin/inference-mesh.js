#!/usr/bin/env node
// The installed command. In a source checkout (agent/main.ts present) it runs the TypeScript
// through tsx's loader, so edits take effect without a build; an installed package has only the
// built JavaScript in dist/ and runs that (less memory: no compiler in the process).
import { existsSync } from 'node:fs';

const source = new URL('../agent/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/agent/main.js', import.meta.url).href);
}
