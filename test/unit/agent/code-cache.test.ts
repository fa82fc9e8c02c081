/**
 * The built agent starts through V8's code cache (agent/code-cache.ts, issue 17): a valid cache is
 * used, a missing or rejected one is (re)written later, an unwritable one is ignored.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheFileFor, runWithCodeCache, type CodeCacheDeps } from '../../../agent/code-cache.js';

interface Seen {
  filename: string;
  dirname: string;
  join: string;
}
const seen = (): Seen[] => ((globalThis as { __codeCacheTest?: Seen[] }).__codeCacheTest ??= []);

let dir: string;
let bundle: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-code-cache-'));
  bundle = path.join(dir, 'agent.cjs');
  // A CommonJS module that reports what it was given; the functions make a cache worth the name.
  const fns = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n');
  await writeFile(bundle, `${fns}\nglobalThis.__codeCacheTest.push({ filename: __filename, dirname: __dirname, join: require('node:path').join('a', 'b') });\nmodule.exports = f1(1);\n`);
  seen().length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function deps(over: Partial<CodeCacheDeps> = {}): CodeCacheDeps & { pending: (() => void)[] } {
  const pending: (() => void)[] = [];
  return {
    readFile: (f) => {
      try {
        return readFileSync(f);
      } catch {
        return null;
      }
    },
    writeFile: (f, data) => writeFileSync(f, data()),
    runtime: 'v20 test',
    later: (run) => pending.push(run),
    pending,
    ...over,
  };
}

describe('the agent bundle runs through the code cache (issue 17)', () => {
  it('runs the bundle as a CommonJS module, and writes a cache later that the next start accepts', async () => {
    const first = deps();
    expect(runWithCodeCache(bundle, first)).toBe('none');
    expect(seen()).toEqual([{ filename: bundle, dirname: dir, join: path.join('a', 'b') }]);
    expect(first.pending).toHaveLength(1);
    first.pending[0]?.();
    expect((await readFile(cacheFileFor(bundle, 'v20 test'))).length).toBeGreaterThan(0);

    const second = deps();
    expect(runWithCodeCache(bundle, second)).toBe('accepted');
    expect(second.pending).toHaveLength(0);
    expect(seen()).toHaveLength(2);
  });

  it('a cache that does not fit (corrupt, another Node or bundle) is ignored and replaced', async () => {
    await writeFile(cacheFileFor(bundle, 'v20 test'), Buffer.from('not a code cache'));
    const d = deps();
    expect(runWithCodeCache(bundle, d)).toBe('rejected');
    expect(seen()).toHaveLength(1);
    d.pending[0]?.();
    expect(runWithCodeCache(bundle, deps())).toBe('accepted');
  });

  it('a cache that cannot be written (a read-only install) changes nothing, and is not serialised', () => {
    const serialise = vi.spyOn(vm.Script.prototype, 'createCachedData');
    const d = deps({
      writeFile: () => {
        throw new Error('EACCES: the file cannot be opened');
      },
    });
    expect(runWithCodeCache(bundle, d)).toBe('none');
    expect(() => d.pending[0]?.()).not.toThrow();
    expect(serialise).not.toHaveBeenCalled();
    serialise.mockRestore();
    expect(runWithCodeCache(bundle, deps())).toBe('none');
  });

  it('each runtime (Node version, flags) has its own cache file', () => {
    expect(cacheFileFor(bundle, 'v20.20.2 --max-old-space-size=128')).not.toBe(cacheFileFor(bundle, 'v20.20.2'));
    expect(path.dirname(cacheFileFor(bundle, 'x'))).toBe(dir);
  });
});
