/**
 * The admin credential (issue 6): the one secret that allows changing anything through the API
 * (peers, offers, pins). Reading stays open to the clients the routed endpoints allow; see
 * api/admin-auth.ts for how the credential is checked.
 *
 * It lives in `<dataDir>/admin.token` (mode 0600), created on the first start, so only someone who
 * can read files as the agent's user on the agent's machine can print it
 * (`inference-mesh admin-token`). It is a separate secret from the mesh key on purpose: the mesh key
 * is handed to every machine that joins, while the admin credential should stay with the people who
 * run the mesh.
 *
 * The file is handled like the mesh key (discovery/mesh-key.ts): written atomically and 0600 from
 * the start; a damaged file is moved aside with a warning, never silently overwritten; a file that
 * exists but cannot be read is an error, not a reason to mint a new credential; the value is never
 * logged.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentError, describeError } from './errors.js';
import type { Logger } from './log.js';

export const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * Shortest stored token we accept. Generated tokens are 43 characters (256 bits, twice the 128 bits
 * the OWASP Session Management Cheat Sheet asks of a secret that grants access); a file holding
 * fewer than 32 is taken for a truncated or hand-damaged one rather than a credential.
 */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * RFC 6750 §2.1 `b64token`: what may follow `Authorization: Bearer `. A token outside it could not
 * be sent by scripts, so a file holding one is damaged (or hand-edited into something unusable).
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A new token: 32 random bytes (256 bits), base64url without padding, 43 URL- and shell-safe characters. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface LoadAdminTokenOptions {
  dataDir: string;
  log: Logger;
  /** For the `.corrupt-<time>` suffix (DESIGN.md §6.4: no wall clock outside agent/clock.ts). */
  nowMs: () => number;
  /** Defaults to `os.platform()`; injectable so the POSIX-only mode check is testable anywhere. */
  platform?: NodeJS.Platform;
}

/**
 * The stored admin token, or a new one (stored) when there is none. Creates `dataDir` (0700) when
 * missing. Never logs the token.
 *
 * @throws AgentError `admin_token_unreadable` when the file exists but cannot be read (e.g. owned by
 *   root after a `sudo` run): minting a new token then would silently invalidate the one the admin
 *   uses, and the next start as the right user would find the old file again.
 */
export async function loadOrCreateAdminToken(opts: LoadAdminTokenOptions): Promise<string> {
  const file = path.join(opts.dataDir, ADMIN_TOKEN_FILE);
  const posix = (opts.platform ?? os.platform()) !== 'win32';
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const stored = await readStoredToken(file, opts, posix);
  if (stored !== null) return stored;

  const token = generateAdminToken();
  await writeTokenFile(file, token);
  opts.log.info('created the admin credential; run `inference-mesh admin-token` on this machine to print it', { file });
  return token;
}

/**
 * The stored token for the CLI (`inference-mesh admin-token`, and the commands that change
 * settings), without creating or repairing anything: null when there is no file or it holds no
 * usable token.
 *
 * @throws AgentError `admin_token_unreadable` when the file exists but cannot be read.
 */
export async function readAdminToken(dataDir: string): Promise<string | null> {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(file, err);
  }
  const token = text.trim();
  return problemWith(token) === null ? token : null;
}

/** Why a (trimmed) file content is not a usable token, or null when it is one. */
function problemWith(token: string): string | null {
  if (token === '') return 'empty';
  if (!B64TOKEN.test(token)) return 'not a token (characters outside RFC 6750 b64token)';
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters`;
  return null;
}

/** The stored token, or null when there is none or the file had to be moved aside. */
async function readStoredToken(file: string, opts: LoadAdminTokenOptions, posix: boolean): Promise<string | null> {
  let text: string;
  try {
    // Tighten first: even a damaged file may hold most of a secret.
    if (posix) await tightenMode(file, opts.log);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(file, err);
  }
  const token = text.trim();
  const problem = problemWith(token);
  if (problem !== null) return moveAside(file, problem, opts);
  return token;
}

/**
 * A token file readable or writable by group or others is fixed to 0600 (as ssh does for private
 * keys): anyone who can read it is admin, anyone who can write it can make themselves admin.
 * Windows has no POSIX mode bits (Node reports 0o666/0o444), so the caller skips this there.
 */
async function tightenMode(file: string, log: Logger): Promise<void> {
  const info = await stat(file);
  const mode = info.mode & 0o777;
  if (!info.isFile() || (mode & 0o077) === 0) return;
  await chmod(file, 0o600);
  log.warn('admin credential file was open to other users; restricted it to the owner (0600)', {
    file,
    previousMode: `0${mode.toString(8)}`,
  });
}

async function moveAside(file: string, why: string, opts: LoadAdminTokenOptions): Promise<null> {
  const stamp = new Date(opts.nowMs()).toISOString().replace(/[:.]/g, '-');
  const aside = `${file}.corrupt-${stamp}`;
  try {
    await rename(file, aside);
  } catch (err) {
    throw new AgentError('admin_token_unusable', `admin credential file ${file} is ${why} and could not be moved aside: ${describeError(err)}`, {
      cause: err,
    });
  }
  opts.log.warn('admin credential file held no usable token; moved it aside and created a new one', { file, movedTo: aside, reason: why });
  return null;
}

/**
 * Writes the token atomically: a temp file in the same directory (same file system, so rename(2) is
 * atomic), created 0600 from the start so the secret is never briefly readable by others, flushed,
 * then renamed into place. A crash leaves no file or a whole one, never half a token.
 */
async function writeTokenFile(file: string, token: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${token}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new AgentError('admin_token_unwritable', `could not write the admin credential to ${file}: ${describeError(err)}`, { cause: err });
  }
}

function unreadable(file: string, err: unknown): AgentError {
  return new AgentError(
    'admin_token_unreadable',
    `cannot read the admin credential file ${file}: ${describeError(err)}; fix its ownership or permissions ` +
      '(or remove it to create a new credential)',
    { cause: err },
  );
}
