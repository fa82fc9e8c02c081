/**
 * A secret kept in a file in the data dir: the mesh key (discovery/mesh-key.ts) and the admin
 * credential (agent/admin-token.ts). They differ in what a usable value is and in the words they
 * log, never in how the file is handled, so the handling lives here once:
 * - the file is owner-only (0600): written that way from the start, tightened on read if widened;
 * - a file that holds no usable value is moved aside with a warning, never silently overwritten:
 *   losing the secret means leaving a mesh or locking the admin out;
 * - a file that exists but cannot be read is an error, not a reason to mint a new secret (a new
 *   one would be written over a file the right user can still read);
 * - the value is never logged.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { diskWriteError } from './disk-error.js';
import { AgentError, describeError } from './errors.js';
import type { Logger } from './log.js';

/**
 * What tells one secret from another. Every message and error code is built from these, so each
 * secret keeps the exact wording (and the stable codes, DESIGN.md §6.8) it had on its own.
 */
export interface SecretKind {
  /** The file's name in the data dir: `mesh.key`. */
  fileName: string;
  /** How errors name the secret: 'mesh key'. */
  label: string;
  /** Error codes are `<codePrefix>_unreadable`, `_unusable` and `_unwritable`: 'mesh_key'. */
  codePrefix: string;
  /** What removing an unreadable file leads to, for the hint in its error: 'create a new mesh'. */
  afterRemoval: string;
  /** The warning when a file open to other users was restricted to the owner. */
  tightenedWarning: string;
  /** The warning when a file without a usable value was moved aside. */
  movedAsideWarning: string;
  /** Why a (trimmed) file content is not a usable secret, or null when it is one. */
  problemWith(value: string): string | null;
}

export interface LoadSecretOptions {
  log: Logger;
  /** For the `.corrupt-<time>` suffix (DESIGN.md §6.4: no wall clock outside agent/kernel/clock.ts). */
  nowMs: () => number;
  /** Defaults to `os.platform()`; injectable so the POSIX-only mode check is testable anywhere. */
  platform?: NodeJS.Platform;
}

export interface SecretFile {
  /** `<dataDir>/<fileName>`, for log fields. */
  readonly file: string;
  /**
   * The stored secret, or null when there is none or the file had to be moved aside. Creates the
   * data dir (0700) when missing and restricts a file open to others.
   * @throws AgentError `<codePrefix>_unreadable`, `<codePrefix>_unusable`
   */
  load(opts: LoadSecretOptions): Promise<string | null>;
  /**
   * The stored secret for the CLI, without creating or repairing anything: null when there is no
   * file or it holds no usable value.
   * @throws AgentError `<codePrefix>_unreadable`
   */
  read(): Promise<string | null>;
  /** @throws AgentError `<codePrefix>_unwritable` */
  write(value: string): Promise<void>;
}

/**
 * Where a file that cannot be right is moved: `<file>.corrupt-<ISO time>`, with `:` (not allowed
 * in Windows file names) and `.` replaced by `-`. The state store (agent/store.ts) uses it too, so
 * every file moved aside in the data dir is named alike and sorts by time.
 */
export function asideName(file: string, nowMs: number): string {
  return `${file}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
}

/** The secret `kind` in `dataDir`. Touches nothing on disk until a method is called. */
export function secretFile(kind: SecretKind, dataDir: string): SecretFile {
  const file = path.join(dataDir, kind.fileName);
  return {
    file,
    async load(opts) {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      const posix = (opts.platform ?? os.platform()) !== 'win32';
      let text: string;
      try {
        // Tighten first: even a damaged file may hold most of a secret.
        if (posix) await tightenMode(kind, file, opts.log);
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw unreadable(kind, file, err);
      }
      const value = text.trim();
      const problem = kind.problemWith(value);
      if (problem !== null) return moveAside(kind, file, problem, opts);
      return value;
    },
    async read() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw unreadable(kind, file, err);
      }
      const value = text.trim();
      return kind.problemWith(value) === null ? value : null;
    },
    write: (value) => writeAtomically(kind, file, value),
  };
}

/**
 * A file open to group or others in any way (bits 077) is fixed to 0600, as ssh does for private
 * keys: whoever can read it holds the secret, whoever can write it can swap in their own. Windows
 * has no POSIX mode bits (Node reports 0o666/0o444), so the caller skips this there.
 */
async function tightenMode(kind: SecretKind, file: string, log: Logger): Promise<void> {
  const info = await stat(file);
  const mode = info.mode & 0o777;
  if (!info.isFile() || (mode & 0o077) === 0) return;
  await chmod(file, 0o600);
  log.warn(kind.tightenedWarning, { file, previousMode: `0${mode.toString(8)}` });
}

async function moveAside(kind: SecretKind, file: string, why: string, opts: LoadSecretOptions): Promise<null> {
  const aside = asideName(file, opts.nowMs());
  try {
    await rename(file, aside);
  } catch (err) {
    throw new AgentError(`${kind.codePrefix}_unusable`, `${kind.label} file ${file} is ${why} and could not be moved aside: ${describeError(err)}`, {
      cause: err,
    });
  }
  opts.log.warn(kind.movedAsideWarning, { file, movedTo: aside, reason: why });
  return null;
}

/**
 * Writes atomically: a temp file in the same directory (same file system, so rename(2) is atomic),
 * created 0600 from the start so the secret is never briefly readable by others, flushed, then
 * renamed over the old file. A crash leaves the old file or the new one, never half a secret.
 */
async function writeAtomically(kind: SecretKind, file: string, value: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${value}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw diskWriteError(`${kind.codePrefix}_unwritable`, file, err, `the ${kind.label}`);
  }
}

function unreadable(kind: SecretKind, file: string, err: unknown): AgentError {
  return new AgentError(
    `${kind.codePrefix}_unreadable`,
    `cannot read the ${kind.label} file ${file}: ${describeError(err)}; fix its ownership or permissions ` +
      `(or remove it to ${kind.afterRemoval})`,
    { cause: err },
  );
}
