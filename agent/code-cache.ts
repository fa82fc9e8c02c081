/**
 * Runs the bundled agent (one CommonJS file, scripts/bundle.mjs) with V8's code cache: the
 * bytecode of every function compiled while it started, kept in a file beside the bundle, so the
 * next start skips parsing and compiling them. Node 20 has no compile cache of its own for ES
 * modules (module.enableCompileCache came in 22). Measured (issue 17): CPU until "agent ready"
 * 500 → 390 ms, which is what 20 agents starting together on 2 cores wait for.
 *
 * The cache is only an optimisation: V8 rejects one made by another Node, other flags or another
 * bundle, and then the agent compiles as without it and writes a fresh one once it has run a while
 * (short CLI commands end before that and never write). A cache that cannot be read or written
 * (a read-only install) is ignored. Its name carries the Node version and flags, so processes
 * started differently (the agent, a CLI command that runs long) do not overwrite each other's.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

export interface CodeCacheDeps {
  readFile(file: string): Buffer | null;
  /**
   * Atomic (temporary file, then rename); may throw. `data` is called once the file could be opened:
   * serialising the cache costs tens of ms, wasted on a read-only install at every start.
   */
  writeFile(file: string, data: () => Buffer): void;
  /** Node's version and the V8-relevant command line (`process.version`, `process.execArgv`). */
  runtime: string;
  /** Arms the write of a fresh cache; main passes an unref'd timer, so a short command never writes. */
  later(run: () => void): void;
}

export type CacheOutcome = 'accepted' | 'rejected' | 'none';

/** The cache file of `bundle` for this runtime. */
export function cacheFileFor(bundle: string, runtime: string): string {
  const tag = createHash('sha256').update(runtime).digest('hex').slice(0, 12);
  return `${bundle}.${tag}.cache`;
}

/**
 * Compiles and runs `bundle` as a CommonJS module (its own require, __filename, __dirname) with the
 * code cache when it is valid; when it was missing or rejected, a fresh one is written `later`.
 * Returns what happened to the cache.
 */
export function runWithCodeCache(bundle: string, deps: CodeCacheDeps): CacheOutcome {
  const cacheFile = cacheFileFor(bundle, deps.runtime);
  const source = deps.readFile(bundle)?.toString('utf8');
  if (source === undefined) throw new Error(`cannot read ${bundle}`);
  const cachedData = deps.readFile(cacheFile) ?? undefined;
  // The wrapper stays on the first line, so stack traces keep the bundle's line numbers.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const outcome: CacheOutcome = cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  if (outcome !== 'accepted') {
    deps.later(() => {
      try {
        deps.writeFile(cacheFile, () => script.createCachedData());
      } catch {
        // A read-only install: every start compiles, as without a cache.
      }
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  return outcome;
}
