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
 * The file is handled as the mesh key's is, by agent/kernel/secret-file.ts: written atomically and 0600
 * from the start; a damaged file is moved aside with a warning, never silently overwritten; a file
 * that exists but cannot be read is an error, not a reason to mint a new credential; the value is
 * never logged.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from './kernel/log.js';
import { secretFile, type SecretKind } from './kernel/secret-file.js';

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

/** How the token file is named, checked and spoken of; agent/kernel/secret-file.ts does the rest. */
const ADMIN_TOKEN: SecretKind = {
  fileName: ADMIN_TOKEN_FILE,
  label: 'admin credential',
  codePrefix: 'admin_token',
  afterRemoval: 'create a new credential',
  // "open", not "readable": a file others can write is as bad, they could make themselves admin.
  tightenedWarning: 'admin credential file was open to other users; restricted it to the owner (0600)',
  movedAsideWarning: 'admin credential file held no usable token; moved it aside and created a new one',
  problemWith,
};

/** A new token: 32 random bytes (256 bits), base64url without padding, 43 URL- and shell-safe characters. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface LoadAdminTokenOptions {
  dataDir: string;
  log: Logger;
  /** For the `.corrupt-<time>` suffix (DESIGN.md §6.4: no wall clock outside agent/kernel/clock.ts). */
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
  const tokenFile = secretFile(ADMIN_TOKEN, opts.dataDir);
  const stored = await tokenFile.load(opts);
  if (stored !== null) return stored;

  const token = generateAdminToken();
  await tokenFile.write(token);
  opts.log.info('created the admin credential; run `inference-mesh admin-token` on this machine to print it', { file: tokenFile.file });
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
  return secretFile(ADMIN_TOKEN, dataDir).read();
}

/** Why a (trimmed) file content is not a usable token, or null when it is one. */
function problemWith(token: string): string | null {
  if (token === '') return 'empty';
  if (!B64TOKEN.test(token)) return 'not a token (characters outside RFC 6750 b64token)';
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters`;
  return null;
}
