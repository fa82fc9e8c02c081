import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  generateMeshKey,
  loadOrCreateMeshKey,
  MESH_KEY_FILE,
  meshFingerprint,
  readMeshKey,
  type LoadMeshKeyOptions,
} from '../../../discovery/mesh-key.js';
import { captureLog } from '../../helpers/capture-log.js';

const posix = process.platform !== 'win32';
const NOW = Date.UTC(2026, 10, 22, 3, 4, 5, 6);
const STAMP = '2026-11-22T03-04-05-006Z';
const KEY_A = 'correct-horse-battery-staple-a';
const KEY_B = 'correct-horse-battery-staple-b';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-mesh-key-'));
  file = path.join(dir, MESH_KEY_FILE);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function load(extra: Partial<LoadMeshKeyOptions> = {}) {
  const captured = captureLog();
  const result = loadOrCreateMeshKey({ dataDir: dir, log: captured.log, nowMs: () => NOW, ...extra });
  return { result, ...captured };
}

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('generateMeshKey', () => {
  it('is 32 random bytes as 43 base64url characters', () => {
    const key = generateMeshKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(generateMeshKey()).not.toBe(key);
  });
});

describe('meshFingerprint', () => {
  it('is 16 lowercase hex digits, stable for a key (pinned: other agents must compute the same)', () => {
    expect(meshFingerprint(KEY_A)).toMatch(/^[0-9a-f]{16}$/);
    expect(meshFingerprint(KEY_A)).toBe(meshFingerprint(KEY_A));
    // HMAC-SHA256(key, 'inference-mesh/fingerprint/v1'), first 8 bytes; changing this splits meshes.
    expect(meshFingerprint('0123456789abcdef')).toBe('b4825605fa661892');
  });

  it('differs between keys, even keys that differ in one character', () => {
    expect(meshFingerprint(KEY_A)).not.toBe(meshFingerprint(KEY_B));
    const prints = new Set(Array.from({ length: 200 }, () => meshFingerprint(generateMeshKey())));
    expect(prints.size).toBe(200);
  });

  it('does not contain the key, and is not a plain hash of it', () => {
    for (const key of [KEY_A, generateMeshKey(), 'aaaaaaaaaaaaaaaa']) {
      const print = meshFingerprint(key);
      expect(print).not.toContain(key);
      expect(key).not.toContain(print);
      expect(createHash('sha256').update(key).digest('hex')).not.toContain(print);
    }
  });
});

describe('loadOrCreateMeshKey', () => {
  it('generates a key on first start, stores it 0600, logs only its fingerprint, and reuses it', async () => {
    const first = load();
    const { key, source } = await first.result;
    expect(source).toBe('generated');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await readFile(file, 'utf8')).toBe(`${key}\n`);
    if (posix) expect(await modeOf(file)).toBe(0o600);
    const info = first.records.find((r) => r.level === 'info');
    expect(info?.message).toContain(meshFingerprint(key));
    expect(info?.fields.mesh).toBe(meshFingerprint(key));
    expect(first.lines.join('\n')).not.toContain(key);

    const second = load();
    expect(await second.result).toEqual({ key, source: 'file' });
    expect(second.records).toEqual([]);
    // The atomic write leaves no temp file behind.
    expect(await readdir(dir)).toEqual([MESH_KEY_FILE]);
  });

  it('creates a missing data dir (nested) with mode 0700', async () => {
    const nested = path.join(dir, 'a', 'b');
    const { key } = await loadOrCreateMeshKey({ dataDir: nested, log: captureLog().log, nowMs: () => NOW });
    expect(await readMeshKey(nested)).toBe(key);
    if (posix) {
      expect(await modeOf(nested)).toBe(0o700);
      expect(await modeOf(path.join(nested, MESH_KEY_FILE))).toBe(0o600);
    }
  });

  it('a configured key replaces a different stored key, says so, and persists for starts without it', async () => {
    const old = (await load().result).key;
    const joined = load({ configuredKey: KEY_A });
    expect(await joined.result).toEqual({ key: KEY_A, source: 'config' });
    expect(await readFile(file, 'utf8')).toBe(`${KEY_A}\n`);
    if (posix) expect(await modeOf(file)).toBe(0o600);
    const info = joined.records.find((r) => r.level === 'info');
    expect(info?.message).toBe(`joined mesh ${meshFingerprint(KEY_A)}`);
    expect(info?.fields.previousMesh).toBe(meshFingerprint(old));
    expect(joined.lines.join('\n')).not.toContain(KEY_A);
    expect(joined.lines.join('\n')).not.toContain(old);

    expect(await load().result).toEqual({ key: KEY_A, source: 'file' });
  });

  it('stores a configured key when there is no file yet', async () => {
    const { result, records, lines } = load({ configuredKey: KEY_A });
    expect(await result).toEqual({ key: KEY_A, source: 'config' });
    expect(await readMeshKey(dir)).toBe(KEY_A);
    expect(records.map((r) => r.level)).toEqual(['info']);
    expect(lines.join('\n')).not.toContain(KEY_A);
  });

  it('does not rewrite or log when the configured key is the stored one', async () => {
    await load({ configuredKey: KEY_A }).result;
    const before = await stat(file);
    const again = load({ configuredKey: KEY_A });
    expect(await again.result).toEqual({ key: KEY_A, source: 'config' });
    expect(again.records).toEqual([]);
    expect((await stat(file)).ino).toBe(before.ino);
  });

  it('trims a configured key, so the same key is used whether it came from the flag or the file', async () => {
    expect((await load({ configuredKey: `  ${KEY_A}\n` }).result).key).toBe(KEY_A);
    expect((await load().result).key).toBe(KEY_A);
  });

  it('ignores an empty configured key and refuses one shorter than 16 characters', async () => {
    expect((await load({ configuredKey: '' }).result).source).toBe('generated');
    const err: unknown = await load({ configuredKey: 'tooShortSecret' }).result.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'mesh_key_invalid' });
    // The message names the rule, never the (secret) value.
    expect(String((err as Error).message)).not.toContain('tooShortSecret');
  });

  it.skipIf(!posix)('restricts a key file readable by others to 0600 with a warning, keeping the key', async () => {
    await writeFile(file, `${KEY_A}\n`);
    await chmod(file, 0o644);
    const { result, records } = load();
    expect(await result).toEqual({ key: KEY_A, source: 'file' });
    expect(await modeOf(file)).toBe(0o600);
    const warning = records.find((r) => r.level === 'warn');
    expect(warning?.message).toMatch(/readable by other users/);
    expect(warning?.fields.previousMode).toBe('0644');
  });

  it.skipIf(!posix)('leaves a file that is already owner-only alone (0600, 0400)', async () => {
    await writeFile(file, `${KEY_A}\n`);
    await chmod(file, 0o400);
    const { result, records } = load();
    expect((await result).key).toBe(KEY_A);
    expect(await modeOf(file)).toBe(0o400);
    expect(records).toEqual([]);
  });

  it('skips the POSIX mode check on Windows, where mode bits mean nothing', async () => {
    await writeFile(file, `${KEY_A}\n`);
    await chmod(file, 0o644);
    const { result, records } = load({ platform: 'win32' });
    expect((await result).key).toBe(KEY_A);
    if (posix) expect(await modeOf(file)).toBe(0o644);
    expect(records).toEqual([]);
  });

  it.each([
    ['empty', '', /empty/],
    ['whitespace only', '  \n\t\n', /empty/],
    ['too short', 'abc123\n', /shorter than 16/],
  ])('moves a key file that is %s aside with a warning and generates a new key', async (_what, content, reason) => {
    await writeFile(file, content, { mode: 0o600 });
    const { result, records } = load();
    const { key, source } = await result;
    expect(source).toBe('generated');
    const aside = path.join(dir, `${MESH_KEY_FILE}.corrupt-${STAMP}`);
    expect(await readFile(aside, 'utf8')).toBe(content);
    expect(await readFile(file, 'utf8')).toBe(`${key}\n`);
    const warning = records.find((r) => r.level === 'warn');
    expect(warning?.fields.movedTo).toBe(aside);
    expect(String(warning?.fields.reason)).toMatch(reason);
  });

  it.skipIf(!posix)('restricts a corrupt file before moving it aside (it may hold most of a secret)', async () => {
    await writeFile(file, 'abcdefgh', { mode: 0o644 });
    await chmod(file, 0o644);
    const { result, records } = load();
    expect((await result).source).toBe('generated');
    expect(records.map((r) => r.level)).toEqual(['warn', 'warn', 'info']);
    expect(await modeOf(path.join(dir, `${MESH_KEY_FILE}.corrupt-${STAMP}`))).toBe(0o600);
  });

  it('moves a corrupt file aside rather than overwrite it with a configured key', async () => {
    await writeFile(file, 'partial', { mode: 0o600 });
    const { result } = load({ configuredKey: KEY_A });
    expect(await result).toEqual({ key: KEY_A, source: 'config' });
    expect(await readFile(path.join(dir, `${MESH_KEY_FILE}.corrupt-${STAMP}`), 'utf8')).toBe('partial');
    expect(await readMeshKey(dir)).toBe(KEY_A);
  });

  it('fails instead of replacing a key file it cannot read (here: a directory in its place)', async () => {
    await mkdir(file);
    await writeFile(path.join(file, 'keep.txt'), 'precious');
    await expect(load().result).rejects.toMatchObject({ code: 'mesh_key_unreadable' });
    await expect(load({ configuredKey: KEY_A }).result).rejects.toMatchObject({ code: 'mesh_key_unreadable' });
    expect(await readFile(path.join(file, 'keep.txt'), 'utf8')).toBe('precious');
  });
});

describe('readMeshKey', () => {
  it('returns the stored key (trimmed), or null when there is none or it is unusable', async () => {
    expect(await readMeshKey(dir)).toBeNull();
    expect(await readMeshKey(path.join(dir, 'missing-dir'))).toBeNull();
    await writeFile(file, `\n${KEY_A}\r\n`);
    expect(await readMeshKey(dir)).toBe(KEY_A);
    await writeFile(file, 'short');
    expect(await readMeshKey(dir)).toBeNull();
    // It only reads: the short file is still there.
    expect(await readFile(file, 'utf8')).toBe('short');
  });

  it('throws a typed error when the file exists but cannot be read', async () => {
    await mkdir(file);
    await expect(readMeshKey(dir)).rejects.toMatchObject({ code: 'mesh_key_unreadable' });
  });
});
