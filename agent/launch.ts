/**
 * The built agent's entry point, dist/agent/main.cjs (and main.js; scripts/bundle.mjs): it runs the agent bundle
 * dist/agent/agent.cjs (agent/main.ts with everything it imports) through V8's code cache
 * (code-cache.ts). Like main.ts, an entry that touches the process; it only reads how node was
 * started, and writes the cache beside the bundle.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runWithCodeCache } from './code-cache.js';

/** Long enough that the functions of start-up and of forming the mesh are compiled, and in the cache. */
const WRITE_CACHE_AFTER_MS = 10_000;

// main.ts sets --expose-gc at run time (for its young-generation trim), and V8 keys a code cache
// to its flags: set before compiling, or every cache written by a running agent would be rejected.
v8.setFlagsFromString('--expose-gc');
runWithCodeCache(fileURLToPath(new URL('./agent.cjs', import.meta.url)), {
  readFile: (file) => {
    try {
      return readFileSync(file);
    } catch {
      return null;
    }
  },
  writeFile: (file, data) => {
    const tmp = `${file}.${process.pid}.tmp`;
    let fd: number | null = null;
    try {
      fd = openSync(tmp, 'w', 0o644);
      writeFileSync(fd, data());
      closeSync(fd);
      fd = null;
      renameSync(tmp, file);
    } finally {
      if (fd !== null) closeSync(fd);
      rmSync(tmp, { force: true });
    }
  },
  runtime: `${process.version} ${process.arch} ${process.execArgv.join(' ')}`,
  later: (run) => setTimeout(run, WRITE_CACHE_AFTER_MS).unref(),
});
