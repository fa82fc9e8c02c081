import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN_FILE,
  generateAdminToken,
  loadOrCreateAdminToken,
  readAdminToken,
  type LoadAdminTokenOptions,
} from '../../../agent/admin-token.js';
import { AgentError } from '../../../agent/kernel/errors.js';
import { captureLog } from '../../helpers/capture-log.js';

const posix = process.platform !== 'win32';
// root reads any file whatever its mode, so "unreadable" cannot be staged as root.
const root = process.getuid?.() === 0;
const NOW = Date.UTC(2026, 10, 22, 3, 4, 5, 6);
const STAMP = '2026-11-22T03-04-05-006Z';
const TOKEN = 'Zm9vYmFyYmF6cXV4LXRoaXMtaXMtYS10ZXN0LXRva2Vu';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-admin-token-'));
  file = path.join(dir, ADMIN_TOKEN_FILE);
});
afterEach(async () => {
  await chmod(file, 0o600).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function load(extra: Partial<LoadAdminTokenOptions> = {}) {
  const captured = captureLog();
  const result = loadOrCreateAdminToken({ dataDir: dir, log: captured.log, nowMs: () => NOW, ...extra });
  return { result, ...captured };
}

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('generateAdminToken', () => {
  it('is 32 random bytes as 43 base64url characters', () => {
    const token = generateAdminToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(generateAdminToken()).not.toBe(token);
  });
});

describe('loadOrCreateAdminToken', () => {
  it('creates a token on first start, stores it 0600 atomically, never logs it, and reuses it', async () => {
    const first = load();
    const token = await first.result;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await readFile(file, 'utf8')).toBe(`${token}\n`);
    if (posix) expect(await modeOf(file)).toBe(0o600);
    expect(first.records.map((r) => r.level)).toEqual(['info']);
    expect(first.records[0]?.message).toContain('inference-mesh admin-token');
    expect(first.lines.join('\n')).not.toContain(token);

    const second = load();
    expect(await second.result).toBe(token);
    expect(second.records).toEqual([]);
    // The atomic write leaves no temp file behind.
    expect(await readdir(dir)).toEqual([ADMIN_TOKEN_FILE]);
    expect(await readAdminToken(dir)).toBe(token);
  });

  it('creates a missing data dir (nested) with mode 0700', async () => {
    const nested = path.join(dir, 'a', 'b');
    const token = await loadOrCreateAdminToken({ dataDir: nested, log: captureLog().log, nowMs: () => NOW });
    expect(await readAdminToken(nested)).toBe(token);
    if (posix) {
      expect(await modeOf(nested)).toBe(0o700);
      expect(await modeOf(path.join(nested, ADMIN_TOKEN_FILE))).toBe(0o600);
    }
  });

  it('keeps a stored token, trimming the newline around it', async () => {
    await writeFile(file, `  ${TOKEN}\r\n`, { mode: 0o600 });
    const { result, records } = load();
    expect(await result).toBe(TOKEN);
    expect(records).toEqual([]);
  });

  it.skipIf(!posix)('restricts a token file open to others to 0600 with a warning, keeping the token', async () => {
    await writeFile(file, `${TOKEN}\n`);
    await chmod(file, 0o644);
    const { result, records, lines } = load();
    expect(await result).toBe(TOKEN);
    expect(await modeOf(file)).toBe(0o600);
    const warning = records.find((r) => r.level === 'warn');
    expect(warning?.message).toMatch(/open to other users/);
    expect(warning?.fields.previousMode).toBe('0644');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it.skipIf(!posix)('leaves a file that is already owner-only alone (0400)', async () => {
    await writeFile(file, `${TOKEN}\n`);
    await chmod(file, 0o400);
    const { result, records } = load();
    expect(await result).toBe(TOKEN);
    expect(await modeOf(file)).toBe(0o400);
    expect(records).toEqual([]);
  });

  it('skips the POSIX mode check on Windows, where mode bits mean nothing', async () => {
    await writeFile(file, `${TOKEN}\n`);
    await chmod(file, 0o644);
    const { result, records } = load({ platform: 'win32' });
    expect(await result).toBe(TOKEN);
    if (posix) expect(await modeOf(file)).toBe(0o644);
    expect(records).toEqual([]);
  });

  it.each([
    ['empty', '', /empty/],
    ['whitespace only', '  \n\t\n', /empty/],
    ['too short', 'abc123\n', /shorter than 32/],
    ['not a token (a space inside)', `${TOKEN.slice(0, 20)} ${TOKEN.slice(20)}\n`, /b64token/],
    ['binary junk', '\u0000\u0001\u00ff'.repeat(20), /b64token/],
  ])('moves a token file that is %s aside with a warning and creates a new token', async (_what, content, reason) => {
    await writeFile(file, content, { mode: 0o600 });
    const { result, records } = load();
    const token = await result;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const aside = path.join(dir, `${ADMIN_TOKEN_FILE}.corrupt-${STAMP}`);
    expect(await readFile(aside, 'utf8')).toBe(content);
    expect(await readFile(file, 'utf8')).toBe(`${token}\n`);
    if (posix) expect(await modeOf(file)).toBe(0o600);
    const warning = records.find((r) => r.level === 'warn');
    expect(warning?.fields.movedTo).toBe(aside);
    expect(String(warning?.fields.reason)).toMatch(reason);
  });

  it.skipIf(!posix)('restricts a corrupt file before moving it aside (it may hold most of a secret)', async () => {
    await writeFile(file, 'abcdefgh');
    await chmod(file, 0o644);
    const { result, records } = load();
    await result;
    expect(records.map((r) => r.level)).toEqual(['warn', 'warn', 'info']);
    expect(await modeOf(path.join(dir, `${ADMIN_TOKEN_FILE}.corrupt-${STAMP}`))).toBe(0o600);
  });

  it.skipIf(!posix || root)('refuses, with a typed error, a file it cannot read, and does not replace it', async () => {
    await writeFile(file, `${TOKEN}\n`);
    await chmod(file, 0o000);
    const err: unknown = await load().result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'admin_token_unreadable' });
    expect((err as Error).message).toMatch(/fix its ownership or permissions/);
    await expect(readAdminToken(dir)).rejects.toMatchObject({ code: 'admin_token_unreadable' });
    await chmod(file, 0o600);
    expect(await readFile(file, 'utf8')).toBe(`${TOKEN}\n`);
    expect(await readdir(dir)).toEqual([ADMIN_TOKEN_FILE]);
  });

  it('refuses a directory in the token file\'s place rather than guessing', async () => {
    await mkdir(file);
    await expect(load().result).rejects.toMatchObject({ code: 'admin_token_unreadable' });
  });
});

describe('readAdminToken', () => {
  it('is null when there is no file or no usable token, and never creates or repairs one', async () => {
    expect(await readAdminToken(dir)).toBeNull();
    expect(await readAdminToken(path.join(dir, 'missing'))).toBeNull();
    await writeFile(file, 'short\n');
    expect(await readAdminToken(dir)).toBeNull();
    expect(await readFile(file, 'utf8')).toBe('short\n');
    expect(await readdir(dir)).toEqual([ADMIN_TOKEN_FILE]);
  });
});
