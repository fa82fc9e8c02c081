/**
 * A failed write to the data dir, in words that name the file and the fix (issue 11: a full disk at
 * start said `ENOSPC … write` without naming the file). The codes are POSIX errno names
 * (errno(3)); Node reports the same names on Windows for the equivalent failures.
 */
import path from 'node:path';
import { AgentError, describeError } from './errors.js';

const FIXES: Record<string, (dir: string) => string> = {
  ENOSPC: (dir) => `the disk is full; free some space on the disk that holds ${dir}`,
  EDQUOT: (dir) => `the disk quota is used up; free some space in ${dir} or raise the quota`,
  EACCES: (dir) => `permission denied; make ${dir} writable by the user the agent runs as (chown/chmod), or choose another data directory with --data-dir`,
  EPERM: (dir) => `not permitted; make ${dir} writable by the user the agent runs as, or choose another data directory with --data-dir`,
  EROFS: () => `the file system is read-only; choose a writable data directory with --data-dir (or INFERENCE_MESH_DATA_DIR)`,
};

/** The errno code of a Node fs error, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `code`: the stable AgentError code (`state_unwritable`, …). The message names `file` and, for a
 * known errno, what to do; other errors are described as they are.
 * @example diskWriteError('state_unwritable', '/var/lib/im/state.json', enospc).message
 *   // "could not write /var/lib/im/state.json: the disk is full; free some space on the disk that holds /var/lib/im (ENOSPC)"
 */
export function diskWriteError(code: string, file: string, err: unknown, what = ''): AgentError {
  const errno = errnoCode(err);
  const fix = errno === undefined ? undefined : FIXES[errno];
  const target = what ? `${what} to ${file}` : file;
  const message = fix ? `could not write ${target}: ${fix(path.dirname(file))} (${errno})` : `could not write ${target}: ${describeError(err)}`;
  return new AgentError(code, message, { cause: err });
}
