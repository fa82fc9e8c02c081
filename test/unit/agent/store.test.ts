import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshState } from '../../../agent/identity.js';
import { openStore, STATE_FILE } from '../../../agent/store.js';
import { captureLog } from '../../helpers/capture-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'im-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (log = captureLog().log, nowMs = 1_700_000_000_000) => openStore({ dataDir: dir, nowMs: () => nowMs, log, initial: freshState });

describe('state store', () => {
  it('creates a state with a new node id on first start and keeps it across restarts', async () => {
    const first = await open();
    const id = first.get().identity.nodeId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const second = await open();
    expect(second.get().identity.nodeId).toBe(id);
    expect((JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as { identity: { nodeId: string } }).identity.nodeId).toBe(id);
  });

  it('creates a missing data dir (nested)', async () => {
    const nested = path.join(dir, 'a', 'b');
    const store = await openStore({ dataDir: nested, nowMs: () => 1, log: captureLog().log, initial: freshState });
    expect(store.file).toBe(path.join(nested, STATE_FILE));
    expect(await readdir(nested)).toContain(STATE_FILE);
  });

  it.each([
    ['not JSON', '{"version":1,"identity":', /not valid JSON/],
    ['the wrong shape', JSON.stringify({ version: 1, identity: { nodeId: 'xyz' } }), /identity\.nodeId/],
    ['a future version', JSON.stringify({ version: 99 }), /version/],
  ])('moves a state file that is %s aside with a warning and starts fresh', async (_what, content, reason) => {
    await writeFile(path.join(dir, STATE_FILE), content);
    const { log, records } = captureLog();
    const store = await open(log, Date.UTC(2026, 10, 22, 3, 4, 5, 6));
    expect(store.get().identity.nodeId).toMatch(/^[0-9a-f]{32}$/);
    const aside = path.join(dir, `${STATE_FILE}.corrupt-2026-11-22T03-04-05-006Z`);
    expect(await readFile(aside, 'utf8')).toBe(content);
    const warning = records.find((r) => r.level === 'warn');
    expect(warning?.message).toMatch(/moved it aside/);
    expect(warning?.fields.movedTo).toBe(aside);
    expect(String(warning?.fields.reason)).toMatch(reason);
  });

  it('moves an unreadable state file aside (here: a directory in its place)', async () => {
    await mkdir(path.join(dir, STATE_FILE));
    await writeFile(path.join(dir, STATE_FILE, 'keep.txt'), 'precious');
    const { log, records } = captureLog();
    await open(log);
    const entries = await readdir(dir);
    const aside = entries.find((e) => e.startsWith(`${STATE_FILE}.corrupt-`));
    expect(aside).toBeDefined();
    expect(await readFile(path.join(dir, aside as string, 'keep.txt'), 'utf8')).toBe('precious');
    expect(String(records.find((r) => r.level === 'warn')?.fields.reason)).toMatch(/unreadable/);
  });

  it('update() validates and writes atomically; a bad change is refused and nothing is written', async () => {
    const store = await open();
    const before = await readFile(store.file, 'utf8');
    await expect(
      store.update((s) => {
        s.identity.nodeId = 'not-hex';
      }),
    ).rejects.toThrow();
    expect(await readFile(store.file, 'utf8')).toBe(before);
    await store.update((s) => {
      s.identity.createdAtMs = 42;
    });
    expect((JSON.parse(await readFile(store.file, 'utf8')) as { identity: { createdAtMs: number } }).identity.createdAtMs).toBe(42);
  });
});
