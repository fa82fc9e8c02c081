/**
 * The mesh key: the shared secret that makes machines members of one mesh (DESIGN.md §2). It lives
 * in `<dataDir>/mesh.key` (mode 0600), so a node that joined once with `--key` / INFERENCE_MESH_KEY
 * stays in that mesh on later starts without the flag, and a first node generates one.
 *
 * Like the state store (agent/store.ts), a key file that cannot be right is moved aside with a
 * warning, never silently overwritten: losing a key means leaving a mesh. The file itself (0600,
 * atomic writes, moving aside) is handled by agent/kernel/secret-file.ts, as the admin credential's is.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chown, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AgentError } from '../agent/kernel/errors.js';
import type { Logger } from '../agent/kernel/log.js';
import { secretFile, type SecretKind } from '../agent/kernel/secret-file.js';

export const MESH_KEY_FILE = 'mesh.key';

/**
 * Shortest key we accept, matching `mesh.key` in agent/config-schema.ts. Anything shorter in the
 * key file is taken for a truncated or hand-damaged file rather than a key.
 */
export const MIN_MESH_KEY_LENGTH = 16;

/** Domain-separation label: the fingerprint can never equal any other value derived from the key. */
const FINGERPRINT_LABEL = 'inference-mesh/fingerprint/v1';

/** How the key file is named, checked and spoken of; agent/kernel/secret-file.ts does the rest. */
const MESH_KEY: SecretKind = {
  fileName: MESH_KEY_FILE,
  label: 'mesh key',
  codePrefix: 'mesh_key',
  afterRemoval: 'create a new mesh',
  tightenedWarning: 'mesh key file was readable by other users; restricted it to the owner (0600)',
  movedAsideWarning: 'mesh key file held no usable key; moved it aside',
  problemWith(key) {
    if (key === '') return 'empty';
    if (key.length < MIN_MESH_KEY_LENGTH) return `shorter than ${MIN_MESH_KEY_LENGTH} characters`;
    return null;
  },
};

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
  /** For the `.corrupt-<time>` suffix (DESIGN.md §6.4: no wall clock outside agent/kernel/clock.ts). */
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
  const keyFile = secretFile(MESH_KEY, opts.dataDir);
  const { file } = keyFile;
  const stored = await keyFile.load(opts);

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
      await keyFile.write(configured);
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
  await keyFile.write(key);
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
  return secretFile(MESH_KEY, dataDir).read();
}

/** Why `key` (trimmed) cannot be a mesh key, or null when it can: the rule the key file is read with. */
export function meshKeyProblem(key: string): string | null {
  return MESH_KEY.problemWith(key);
}

/**
 * Stores a key for later starts (`inference-mesh join`, issue 11: the key never on a command
 * line). Creates `dataDir` (0700) when missing; the file is written 0600 and atomically.
 * @throws AgentError `mesh_key_unwritable`
 */
export async function storeMeshKey(dataDir: string, key: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await secretFile(MESH_KEY, dataDir).write(key);
  await keepDirOwner(dataDir, path.join(dataDir, MESH_KEY_FILE));
}

/**
 * `sudo inference-mesh join` for a service that runs as its own user (systemd DynamicUser=, whose
 * StateDirectory= it owns): a root-owned 0600 key would be unreadable to the agent, so the file
 * takes the data dir's owner. Only root can give a file away (chown(2)); anyone else already owns
 * both, and platforms without POSIX owners report 0 for both.
 */
async function keepDirOwner(dataDir: string, file: string): Promise<void> {
  const [dir, written] = await Promise.all([stat(dataDir), stat(file)]);
  if (dir.uid === written.uid && dir.gid === written.gid) return;
  await chown(file, dir.uid, dir.gid);
}
