import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSmallFile, SMALL_FILE_MAX_BYTES } from '../../../agent/small-file.js';

describe('readSmallFile', () => {
  it('reads a /proc file whose reported size is 0', async () => {
    expect((await readSmallFile(`/proc/${process.pid}/comm`)).trim().length).toBeGreaterThan(0);
    const argv = (await readSmallFile(`/proc/${process.pid}/cmdline`)).split('\0');
    expect(argv.length).toBeGreaterThan(1);
    expect(argv[0]).toMatch(/node/);
  });

  it('reads a small file whole and cuts a large one at the limit; a missing file rejects with ENOENT', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'im-small-'));
    try {
      await writeFile(path.join(dir, 'a'), 'hello\n');
      await writeFile(path.join(dir, 'b'), 'x'.repeat(SMALL_FILE_MAX_BYTES + 100));
      expect(await readSmallFile(path.join(dir, 'a'))).toBe('hello\n');
      expect((await readSmallFile(path.join(dir, 'b'))).length).toBe(SMALL_FILE_MAX_BYTES);
      await expect(readSmallFile(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('allocates far less than fs.readFile for the activity probe\'s per-process files', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const pids = (await import('node:fs/promises')).readdir('/proc').then((e) => e.filter((x) => /^\d+$/.test(x)).slice(0, 50));
    await Promise.all((await pids).map((pid) => readSmallFile(`/proc/${pid}/comm`).catch(() => '')));
    // 50 reads at most 4 KiB each: well under the 3 MB fs.readFile's 64 KiB chunks would take.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });
});
