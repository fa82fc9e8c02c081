/**
 * The mesh key: the shared secret that makes machines members of one mesh (DESIGN.md §2). It lives
 * in `<dataDir>/mesh.key` (mode 0600), so a node that joined once with `--key` / INFERENCE_MESH_KEY
 * stays in that mesh on later starts without the flag, and a first node generates one.
 *
 * Like the state store (agent/store.ts), a key file that cannot be right is moved aside with a
 * warning, never silently overwritten: losing a key means leaving a mesh.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentError, describeError } from '../agent/errors.js';
import type { Logger } from '../agent/log.js';

export const MESH_KEY_FILE = 'mesh.key';

/**
 * Shortest key we accept, matching `mesh.key` in agent/config-schema.ts. Anything shorter in the
 * key file is taken for a truncated or hand-damaged file rather than a key.
 */
export const MIN_MESH_KEY_LENGTH = 16;

/** Domain-separation label: the fingerprint can never equal any other value derived from the key. */
const FINGERPRINT_LABEL = 'inference-mesh/fingerprint/v1';

/** A new key: 32 random bytes (256 bits), base64url without padding, so 43 URL- and shell-safe characters. */
export function generateMeshKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * 16 lowercase hex digits that name the mesh in the mDNS TXT record (`mesh=`, DESIGN.md §5), so a
 * node can skip adverts of other meshes on the same LAN without a round trip.
 *
 * Why an HMAC keyed with the mesh key rather than a plain SHA-256 of it: the key is used as a key,
 * as HMAC is designed for (RFC 2104), and the fixed label separates this value from every other
 * use of the key (the peer-auth signatures in discovery/peer-auth.ts), so nothing published here
 * can be replayed or matched elsewhere. A plain `sha256(key)` is the value people compute by hand
 * and that precomputed tables of common passphrases cover; the label defeats those tables.
 * Honest limit: any public, deterministic function of the key lets an observer test guesses of a
 * *user-chosen, low-entropy* key offline. The defences are generated 256-bit keys and the
 * 16-character minimum, not this function.
 *
 * 64 bits are plenty to tell meshes apart (two meshes collide with probability ~2^-64; a LAN would
 * need ~2^32 meshes for a birthday collision). It is NOT authentication: anyone can copy a
 * fingerprint into their own advert. Membership is proven per request by discovery/peer-auth.ts.
 */
export function meshFingerprint(key: string): string {
  return createHmac('sha256', key).update(FINGERPRINT_LABEL).digest('hex').slice(0, 16);
}

export interface LoadMeshKeyOptions {
  dataDir: string;
  /** From --key, INFERENCE_MESH_KEY or agent.config.json (already merged by agent/config.ts). */
  configuredKey?: string | undefined;
  log: Logger;
  /** For the `.corrupt-<time>` suffix (DESIGN.md §6.4: no wall clock outside agent/clock.ts). */
  nowMs: () => number;
  /** Defaults to `os.platform()`; injectable so the POSIX-only mode check is testable anywhere. */
  platform?: NodeJS.Platform;
}

export interface LoadedMeshKey {
  key: string;
  source: 'config' | 'file' | 'generated';
}

/**
 * The key this node uses: the configured one (stored for later starts), else the stored one, else a
 * new one (stored). Creates `dataDir` (0700) when missing. Never logs the key, only its fingerprint.
 *
 * @throws AgentError `mesh_key_unreadable` when the key file exists but cannot be read (e.g. owned
 *   by root after a `sudo` run): generating a new key then would quietly leave the mesh.
 */
export async function loadOrCreateMeshKey(opts: LoadMeshKeyOptions): Promise<LoadedMeshKey> {
  const file = path.join(opts.dataDir, MESH_KEY_FILE);
  const posix = (opts.platform ?? os.platform()) !== 'win32';
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const stored = await readStoredKey(file, opts, posix);

  // Whitespace around a key pasted into an env var or config is never meant; the file is trimmed on
  // read too, so trimming here keeps the key (and its fingerprint) the same on every start.
  const configured = opts.configuredKey?.trim();
  if (configured !== undefined && configured !== '') {
    if (configured.length < MIN_MESH_KEY_LENGTH) {
      throw new AgentError('mesh_key_invalid', `the configured mesh key must be at least ${MIN_MESH_KEY_LENGTH} characters`, {
        httpStatus: 400,
      });
    }
    if (stored !== configured) {
      await writeKeyFile(file, configured);
      const fingerprint = meshFingerprint(configured);
      if (stored === null) {
        opts.log.info(`stored the configured key of mesh ${fingerprint} for later starts`, { mesh: fingerprint, file });
      } else {
        opts.log.info(`joined mesh ${fingerprint}`, { mesh: fingerprint, previousMesh: meshFingerprint(stored), file });
      }
    }
    return { key: configured, source: 'config' };
  }

  if (stored !== null) return { key: stored, source: 'file' };

  const key = generateMeshKey();
  await writeKeyFile(file, key);
  const fingerprint = meshFingerprint(key);
  opts.log.info(`generated a new mesh key: mesh ${fingerprint}; run \`inference-mesh key\` to see it and join other machines`, {
    mesh: fingerprint,
    file,
  });
  return { key, source: 'generated' };
}

/**
 * The stored key for the `inference-mesh key` command, without creating or repairing anything:
 * null when there is no file or it holds no usable key.
 */
export async function readMeshKey(dataDir: string): Promise<string | null> {
  const file = path.join(dataDir, MESH_KEY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(file, err);
  }
  const key = text.trim();
  return key.length >= MIN_MESH_KEY_LENGTH ? key : null;
}

/** The stored key, or null when there is none or the file had to be moved aside. */
async function readStoredKey(file: string, opts: LoadMeshKeyOptions, posix: boolean): Promise<string | null> {
  let text: string;
  try {
    // Tighten first: even a damaged file may hold most of a secret.
    if (posix) await tightenMode(file, opts.log);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(file, err);
  }
  const key = text.trim();
  if (key === '') return moveAside(file, 'empty', opts);
  if (key.length < MIN_MESH_KEY_LENGTH) return moveAside(file, `shorter than ${MIN_MESH_KEY_LENGTH} characters`, opts);
  return key;
}

/**
 * A key file readable by group or others is fixed to 0600 (as ssh does for private keys). Windows
 * has no POSIX mode bits (Node reports 0o666/0o444), so the caller skips this there.
 */
async function tightenMode(file: string, log: Logger): Promise<void> {
  const info = await stat(file);
  const mode = info.mode & 0o777;
  if (!info.isFile() || (mode & 0o077) === 0) return;
  await chmod(file, 0o600);
  log.warn('mesh key file was readable by other users; restricted it to the owner (0600)', {
    file,
    previousMode: `0${mode.toString(8)}`,
  });
}

async function moveAside(file: string, why: string, opts: LoadMeshKeyOptions): Promise<null> {
  const stamp = new Date(opts.nowMs()).toISOString().replace(/[:.]/g, '-');
  const aside = `${file}.corrupt-${stamp}`;
  try {
    await rename(file, aside);
  } catch (err) {
    throw new AgentError('mesh_key_unusable', `mesh key file ${file} is ${why} and could not be moved aside: ${describeError(err)}`, {
      cause: err,
    });
  }
  opts.log.warn('mesh key file held no usable key; moved it aside', { file, movedTo: aside, reason: why });
  return null;
}

/**
 * Writes the key atomically: a temp file in the same directory (same file system, so rename(2) is
 * atomic), created 0600 from the start so the secret is never briefly world-readable, flushed, then
 * renamed over the old file. A crash leaves the old key or the new one, never half a key.
 */
async function writeKeyFile(file: string, key: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${key}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new AgentError('mesh_key_unwritable', `could not write the mesh key to ${file}: ${describeError(err)}`, { cause: err });
  }
}

function unreadable(file: string, err: unknown): AgentError {
  return new AgentError(
    'mesh_key_unreadable',
    `cannot read the mesh key file ${file}: ${describeError(err)}; fix its ownership or permissions (or remove it to create a new mesh)`,
    { cause: err },
  );
}
