/**
 * The real Exec (agent/exec-node.ts) with real programs in a temporary PATH: a program no PATH
 * directory holds is refused as ENOENT without a child process (issue 17: a fork per start of a
 * machine without nvidia-smi), and everything else behaves as execFile does.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeExec } from '../../../agent/exec-node.js';
import { ExecError } from '../../../agent/kernel/exec.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'im-exec-'));
  dirs.push(d);
  return d;
}

async function script(dir: string, name: string, body: string, mode = 0o755): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, mode);
  return file;
}

/** execFile, counting the programs it was asked to start. */
function countingExecFile(): { execFile: typeof execFile; started: string[] } {
  const started: string[] = [];
  const wrapped = ((file: string, ...rest: unknown[]) => {
    started.push(file);
    return (execFile as (...a: unknown[]) => unknown)(file, ...rest);
  }) as unknown as typeof execFile;
  return { execFile: wrapped, started };
}

const opts = { timeoutMs: 20_000 };

describe('createNodeExec', () => {
  it('refuses a program that no PATH directory holds as ENOENT, without starting anything', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const counting = countingExecFile();
    const exec = createNodeExec({ env: { PATH: `${a}:${b}` }, platform: 'linux', execFile: counting.execFile });
    const err = await exec('im-no-such-program', ['--x'], opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect(err).toMatchObject({ code: 'ENOENT', message: 'im-no-such-program not found' });
    expect(counting.started).toEqual([]);
  });

  it('runs a program found in a later PATH directory, with its arguments', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await script(b, 'im-echo', 'echo "out:$1"; echo "err:$2" >&2');
    const counting = countingExecFile();
    const exec = createNodeExec({ env: { PATH: `${a}:${b}` }, platform: 'linux', execFile: counting.execFile });
    await expect(exec('im-echo', ['one', 'two'], opts)).resolves.toEqual({ stdout: 'out:one\n', stderr: 'err:two\n' });
    expect(counting.started).toEqual(['im-echo']);
  });

  it('treats an empty PATH entry as the current directory, as execvp does', async () => {
    const a = await tempDir();
    const counting = countingExecFile();
    const exec = createNodeExec({ env: { PATH: `${a}:` }, platform: 'linux', execFile: counting.execFile });
    // No file of this name in the test's working directory either: refused.
    await expect(exec('im-not-in-cwd-either', [], opts)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(counting.started).toEqual([]);
  });

  it('leaves a name that exists but cannot run to execFile, so its own error comes back', async () => {
    const a = await tempDir();
    await script(a, 'im-not-executable', 'echo never', 0o644);
    await mkdir(path.join(a, 'im-a-directory'));
    const counting = countingExecFile();
    const exec = createNodeExec({ env: { PATH: a }, platform: 'linux', execFile: counting.execFile });
    for (const name of ['im-not-executable', 'im-a-directory']) {
      const err = await exec(name, [], opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExecError);
      expect((err as ExecError).code).not.toBe('ETIMEDOUT');
    }
    expect(counting.started).toEqual(['im-not-executable', 'im-a-directory']);
  });

  it('runs a path with a slash as given, without a PATH lookup', async () => {
    const a = await tempDir();
    const file = await script(a, 'im-direct', 'echo direct');
    const exec = createNodeExec({ env: { PATH: '/nonexistent-dir' }, platform: 'linux' });
    await expect(exec(file, [], opts)).resolves.toMatchObject({ stdout: 'direct\n' });
    await expect(exec(path.join(a, 'im-missing'), [], opts)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('maps a failing program to EXIT with the first line of its stderr', async () => {
    const a = await tempDir();
    await script(a, 'im-fail', 'echo "driver mismatch" >&2; echo "second line" >&2; exit 3');
    const exec = createNodeExec({ env: { PATH: a }, platform: 'linux' });
    await expect(exec('im-fail', [], opts)).rejects.toMatchObject({ code: 'EXIT', message: 'im-fail failed: driver mismatch' });
  });

  it('leaves the search to execFile on Windows (PATHEXT, the current directory)', async () => {
    const counting = countingExecFile();
    const exec = createNodeExec({ env: { PATH: '/nonexistent-dir' }, platform: 'win32', execFile: counting.execFile });
    await expect(exec('im-no-such-program', [], opts)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(counting.started).toEqual(['im-no-such-program']);
  });
});
