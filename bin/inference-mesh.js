#!/usr/bin/env node
// The installed command. In a source checkout (agent/main.ts present) it runs the TypeScript
// through tsx's loader, so edits take effect without a build; an installed package has only the
// built JavaScript in dist/ and runs that (less memory: no compiler in the process).
//
// CommonJS (bin/package.json), as is the built entry it runs (dist/agent/main.cjs): Node's ES module
// loader alone cost ~12 ms of CPU at every start, of the agent and of each CLI command (issue 17:
// after a power cut every agent starts at once). Installed service units keep this path.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const source = path.join(__dirname, '..', 'agent', 'main.ts');
if (existsSync(source)) {
  // The checkout's own tsconfig.json, not the current folder's: its JSX settings (hono/jsx) are
  // what the web pages compile with; tsx otherwise looks in the working directory (issue 16:
  // "React is not defined" when started from any other folder, as `npm link` does).
  // tsx's ES module API: its CommonJS build of register() cannot find its own loader (tsx 4.23).
  import('tsx/esm/api')
    .then(({ register }) => {
      register({ tsconfig: path.join(__dirname, '..', 'tsconfig.json') });
      return import(pathToFileURL(source).href);
    })
    .catch((err) => {
      process.stderr.write(`inference-mesh: ${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    });
} else {
  require('../dist/agent/main.cjs');
}
