// `npm run build`, second step: the agent as one CommonJS file (dist/agent/agent.cjs) with its
// dependencies, and the entry point dist/agent/main.js (agent/launch.ts) that runs it through V8's
// code cache (agent/code-cache.ts). tsc's file-per-module output stays beside it for bench:modules.
//
// Why: Node 20's ESM loader spent most of an agent's start-up resolving, reading and linking ~190
// files; one bundle starts on about half the CPU (issue 17: after a power cut every machine of a
// bench box starts at once; issue 14: less memory for module records). CommonJS, not an ES module,
// because only a vm.Script takes a code cache on Node 20: CPU until "agent ready" 500 → 390 ms.
// One file: esbuild splits only ES modules, and the lazy parts (CLI commands, OpenAPI, web pages)
// cost little unused (V8 only pre-parses them; their bytecode is not in the cache).
// systeminformation is required at run time by path (agent/si-node.ts) and stays in node_modules.
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/agent/', import.meta.url);
await rm(new URL('chunks', dist), { recursive: true, force: true });
// Caches of an earlier build would be rejected anyway (V8 checks the source): not left lying around.
for (const old of await readdir(dist)) if (old.endsWith('.cache')) await rm(new URL(old, dist), { force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['dist/agent/main.js'],
  outfile: 'dist/agent/agent.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // A vm.Script has no ES module loader for import() (Node 20 wants --experimental-vm-modules): the
  // few of built-in modules become require().
  supported: { 'dynamic-import': false },
  // agent/si-node.ts and agent/kernel/version.ts resolve files relative to their module.
  define: { 'import.meta.url': '__imModuleUrl' },
  banner: { js: 'var __imModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
// After the bundle: it overwrites tsc's main.js, the bundle's entry.
await build({
  absWorkingDir: root,
  entryPoints: ['dist/agent/launch.js'],
  outfile: 'dist/agent/main.js',
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
