#!/usr/bin/env node
// The installed command. In a source checkout (agent/main.ts present) it runs the TypeScript
// through tsx's loader, so edits take effect without a build; an installed package has only the
// built JavaScript in dist/ and runs that (less memory: no compiler in the process).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../agent/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  // The checkout's own tsconfig.json, not the current folder's: its JSX settings (hono/jsx) are
  // what the web pages compile with; tsx otherwise looks in the working directory (issue 16:
  // "React is not defined" when started from any other folder, as `npm link` does).
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import(source.href);
} else {
  await import(new URL('../dist/agent/main.js', import.meta.url).href);
}
