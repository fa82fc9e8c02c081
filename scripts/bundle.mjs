// `npm run build`, second step: the agent as one CommonJS file (dist/agent/agent.cjs) with its
// dependencies, and the entry point dist/agent/main.cjs (agent/launch.ts; also as main.js) that runs
// it through V8's code cache (agent/code-cache.ts). tsc's file-per-module output stays beside it for bench:modules.
//
// Why: Node 20's ESM loader spent most of an agent's start-up resolving, reading and linking ~190
// files; one bundle starts on about half the CPU (issue 17: after a power cut every machine of a
// bench box starts at once; issue 14: less memory for module records). CommonJS, not an ES module,
// because only a vm.Script takes a code cache on Node 20: CPU until "agent ready" 500 → 390 ms.
// One file: esbuild splits only ES modules, and the lazy parts (CLI commands, OpenAPI, web pages)
// cost little unused (V8 only pre-parses them; their bytecode is not in the cache).
// systeminformation is required at run time by path (agent/si-node.ts) and stays in node_modules.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { agentBundleOptions, asciiComments, importMetaUrlInCjs } from './agent-bundle-options.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/agent/', import.meta.url);
await rm(new URL('chunks', dist), { recursive: true, force: true });
// Caches of an earlier build would be rejected anyway (V8 checks the source): not left lying around.
for (const old of await readdir(dist)) if (old.endsWith('.cache')) await rm(new URL(old, dist), { force: true });
const [bundle] = (
  await build({
    absWorkingDir: root,
    entryPoints: ['dist/agent/main.js'],
    outfile: 'dist/agent/agent.cjs',
    ...agentBundleOptions,
    write: false,
  })
).outputFiles;
await writeFile(bundle.path, asciiComments(bundle.text));
// After the bundle: it overwrites tsc's main.js, the bundle's entry.
const launcher = { absWorkingDir: root, entryPoints: ['dist/agent/launch.js'], bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
// The entry that bin/inference-mesh.js and `npm start` run: CommonJS, because Node's ES module
// loader alone costs ~12 ms of CPU at every start (issue 17).
await build({
  ...launcher,
  outfile: 'dist/agent/main.cjs',
  format: 'cjs',
  ...importMetaUrlInCjs,
});
// The same as an ES module at the path earlier versions ran (`node dist/agent/main.js` in a unit
// written by hand keeps working).
await build({ ...launcher, outfile: 'dist/agent/main.js', allowOverwrite: true, format: 'esm' });
