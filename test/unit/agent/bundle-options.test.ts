/**
 * The agent bundle is ASCII only (scripts/agent-bundle-options.mjs, issue 17): Node reads an ASCII
 * file on a fast path, and a bundle with a few non-ASCII characters in comments cost ~11 ms of every
 * start. Built here with the bundle's own options from a file with such characters in a string, a
 * regular expression and a comment esbuild keeps; the result must be ASCII and behave the same.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const FIXTURE = `
export function describe(big) {
  const tail = typeof big === 'bigint' ? (
    // a comment esbuild keeps, inside an expression — with a dash
    big % 2n === 0n
  ) : false;
  return ['Entrée invàlida →', /é+/.test('ééé'), tail];
}
console.log(JSON.stringify(describe(4n)));
`;

describe('agent bundle', () => {
  it('is ASCII only, comments included, and runs as the source does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'im-bundle-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'in.mjs'), FIXTURE);
    const script = `
      import { build } from 'esbuild';
      import { agentBundleOptions, asciiComments } from ${JSON.stringify(path.join(root, 'scripts/agent-bundle-options.mjs'))};
      const [out] = (await build({ ...agentBundleOptions, entryPoints: [${JSON.stringify(path.join(dir, 'in.mjs'))}], outfile: ${JSON.stringify(path.join(dir, 'out.cjs'))}, write: false })).outputFiles;
      console.log(JSON.stringify({ esbuildAscii: !/[\\u0080-\\uffff]/.test(out.text), text: asciiComments(out.text) }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 20_000 });
    const { esbuildAscii, text } = JSON.parse(stdout) as { esbuildAscii: boolean; text: string };
    expect(esbuildAscii).toBe(false); // the kept comment: why asciiComments exists
    expect(/[\u0080-\uffff]/.test(text)).toBe(false);
    expect(text).toContain('\\u2014 with a dash');
    await writeFile(path.join(dir, 'out.cjs'), text);
    const run = await promisify(execFile)(process.execPath, [path.join(dir, 'out.cjs')]);
    expect(JSON.parse(run.stdout)).toEqual(['Entrée invàlida →', true, true]);
  });

  it('leaves out zod\'s other languages and the browser fetch polyfill, and zod still speaks English', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'im-bundle-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'in.mjs'),
      `import { z } from 'zod';
import 'whatwg-fetch';
const r = z.object({ port: z.number() }).safeParse({ port: 'x' });
console.log(JSON.stringify({ message: r.error.issues[0].message, locales: Object.keys(z.locales), coreLocales: Object.keys(z.core.locales), fetch: fetch === globalThis.fetch && typeof fetch }));
`,
    );
    const script = `
      import { build } from 'esbuild';
      import { agentBundleOptions } from ${JSON.stringify(path.join(root, 'scripts/agent-bundle-options.mjs'))};
      const [out] = (await build({ ...agentBundleOptions, nodePaths: [${JSON.stringify(path.join(root, 'node_modules'))}], entryPoints: [${JSON.stringify(path.join(dir, 'in.mjs'))}], outfile: ${JSON.stringify(path.join(dir, 'out.cjs'))}, write: false })).outputFiles;
      console.log(JSON.stringify(out.text));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 20_000, maxBuffer: 16 * 1024 * 1024 });
    const text = JSON.parse(stdout) as string;
    expect(text).toContain('zod/v4/locales/en.js');
    expect(text).not.toContain('zod/v4/locales/fr.js');
    expect(text).not.toContain('whatwg-fetch');
    await writeFile(path.join(dir, 'out.cjs'), text);
    const run = await promisify(execFile)(process.execPath, [path.join(dir, 'out.cjs')]);
    expect(JSON.parse(run.stdout)).toEqual({ message: 'Invalid input: expected number, received string', locales: [], coreLocales: [], fetch: 'function' });
  });
});
