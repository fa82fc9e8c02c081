// `npm run build`, second step: the agent as one ES module (dist/agent/main.js) with its
// dependencies, plus the chunks its lazy imports load (CLI commands, OpenAPI, the web UI), in
// dist/agent/chunks/. tsc's file-per-module output stays beside it for bench:modules.
//
// Why: Node 20's ESM loader spent most of an agent's start-up resolving, reading and linking ~190
// files. One bundle starts on about half the CPU (issue 17: after a power cut every machine of a
// bench box starts at once; issue 14: less memory for module records). systeminformation is
// required at run time by path (agent/si-node.ts) and stays in node_modules.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
await rm(new URL('../dist/agent/chunks', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['dist/agent/main.js'],
  outdir: 'dist/agent',
  allowOverwrite: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (bonjour-service, …) call require() for Node's own modules.
  banner: { js: "import { createRequire as __imCreateRequire } from 'node:module'; const require = __imCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
