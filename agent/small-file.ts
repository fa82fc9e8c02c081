/**
 * Reads a small kernel file (/proc/<pid>/comm, /proc/<pid>/cmdline, /sys/class/drm/…) for the
 * probes. fs.readFile cannot trust the size /proc and /sys report (0), so it reads such files in
 * 64 KiB chunks: the activity probe's ~2 files per process then allocated ~9 MB every 10 s on a
 * quiet machine (measured), which showed up as RSS. These files are tiny; 4 KiB is plenty (a
 * longer cmdline is cut, and the probe only needs argv[0]).
 */
import { open } from 'node:fs/promises';

export const SMALL_FILE_MAX_BYTES = 4096;

export async function readSmallFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(SMALL_FILE_MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SMALL_FILE_MAX_BYTES, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}
