import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/kernel/clock.js';
import { silentLogger } from '../../../agent/kernel/log.js';
import { createImmichQueues, ImmichApiError, ML_BATCH_QUEUES } from '../../../agent/adapters/immich-queues.js';
import { createQueuePauser, SKIP_PAUSED_BY_OTHERS, SKIP_RESUMED_BY_OTHERS, type PausedByUsStore } from '../../../agent/adapters/queue-pauser.js';
import { createFakeImmichApi, type FakeImmichApi, type FakeImmichApiOptions } from '../../fakes/fake-immich-api.js';
import { captureLog } from '../../helpers/capture-log.js';

const ADMIN = 'admin-key-0123456789';
const fakes: FakeImmichApi[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFake(version: string, apiKeys: FakeImmichApiOptions['apiKeys'] = { admin: ADMIN }): Promise<FakeImmichApi> {
  const fake = createFakeImmichApi({ version, apiKeys });
  fakes.push(fake);
  await fake.start();
  return fake;
}

/** An in-memory stand-in for the agent's state file; `saves` lists every list written. */
function memoryStore(initial: string[] = []): PausedByUsStore & { list: string[]; saves: string[][] } {
  const store = {
    list: [...initial],
    saves: [] as string[][],
    load: async () => [...store.list],
    save: async (paused: string[]) => {
      store.list = [...paused];
      store.saves.push([...paused]);
    },
  };
  return store;
}

function pauserFor(fake: FakeImmichApi, store: PausedByUsStore, opts: { queues?: readonly string[]; apiKey?: string } = {}) {
  const client = createImmichQueues({ serverUrl: fake.url, apiKey: opts.apiKey ?? ADMIN, fetch: globalThis.fetch, clock: systemClock, timeoutMs: 5_000 });
  return createQueuePauser({ client, queues: opts.queues ?? ML_BATCH_QUEUES, store, log: silentLogger });
}

const puts = (fake: FakeImmichApi) => fake.calls.filter((c) => c.method === 'PUT').map((c) => `${c.path} ${JSON.stringify(c.body)}`);
const pausedQueues = (fake: FakeImmichApi) => Object.entries(fake.queues).filter(([, q]) => q.isPaused).map(([name]) => name);

describe.each(['2.3.1', '3.1.0'])('queue pauser on Immich %s', (version) => {
  it('pauses the ML queues while no batch node is offered and resumes them when one is', async () => {
    const fake = await startFake(version);
    const store = memoryStore();
    const pauser = pauserFor(fake, store);

    expect(await pauser.setBatchAvailable(false)).toEqual({ paused: ['smartSearch', 'faceDetection', 'ocr'], resumed: [], skipped: [] });
    expect(pausedQueues(fake).sort()).toEqual(['faceDetection', 'ocr', 'smartSearch']);
    expect(store.list).toEqual(['smartSearch', 'faceDetection', 'ocr']);

    expect(await pauser.setBatchAvailable(true)).toEqual({ resumed: ['smartSearch', 'faceDetection', 'ocr'], paused: [], skipped: [] });
    expect(pausedQueues(fake)).toEqual([]);
    expect(store.list).toEqual([]);
    const [pause, resume] = version === '2.3.1' ? ['{"command":"pause","force":false}', '{"command":"resume","force":false}'] : ['{"isPaused":true}', '{"isPaused":false}'];
    const base = version === '2.3.1' ? '/api/jobs' : '/api/queues';
    expect(puts(fake)).toEqual([
      ...ML_BATCH_QUEUES.map((q) => `${base}/${q} ${pause}`),
      ...ML_BATCH_QUEUES.map((q) => `${base}/${q} ${resume}`),
    ]);
  });

  it('never resumes a queue a human paused', async () => {
    const fake = await startFake(version);
    const store = memoryStore();
    const pauser = pauserFor(fake, store);
    fake.setPaused('faceDetection', true);

    const held = await pauser.setBatchAvailable(false);
    expect(held.paused).toEqual(['smartSearch', 'ocr']);
    expect(held.skipped).toEqual([{ queue: 'faceDetection', reason: SKIP_PAUSED_BY_OTHERS }]);
    expect(store.list).toEqual(['smartSearch', 'ocr']);

    const released = await pauser.setBatchAvailable(true);
    expect(released.resumed).toEqual(['smartSearch', 'ocr']);
    expect(fake.queues.faceDetection?.isPaused).toBe(true);
    expect(puts(fake).some((p) => p.includes('faceDetection'))).toBe(false);
  });
});

describe('queue pauser', () => {
  it('forgets a queue a human resumed meanwhile, without touching it', async () => {
    const fake = await startFake('3.1.0');
    const store = memoryStore();
    const pauser = pauserFor(fake, store);
    await pauser.setBatchAvailable(false);
    fake.setPaused('smartSearch', false); // an admin wanted indexing now
    fake.clearCalls();

    const released = await pauser.setBatchAvailable(true);
    expect(released.resumed).toEqual(['faceDetection', 'ocr']);
    expect(released.skipped).toEqual([{ queue: 'smartSearch', reason: SKIP_RESUMED_BY_OTHERS }]);
    expect(puts(fake)).toEqual(['/api/queues/faceDetection {"isPaused":false}', '/api/queues/ocr {"isPaused":false}']);
    expect(store.list).toEqual([]);
  });

  it('a human pausing a queue after our resume is left alone on the next round', async () => {
    const fake = await startFake('3.1.0');
    const store = memoryStore();
    const pauser = pauserFor(fake, store);
    await pauser.setBatchAvailable(false);
    await pauser.setBatchAvailable(true);
    fake.setPaused('ocr', true);
    expect((await pauser.setBatchAvailable(false)).skipped).toEqual([{ queue: 'ocr', reason: SKIP_PAUSED_BY_OTHERS }]);
    await pauser.setBatchAvailable(true);
    expect(fake.queues.ocr?.isPaused).toBe(true);
  });

  it('is idempotent: repeating a value only reads the status (and nothing at all when nothing is ours)', async () => {
    const fake = await startFake('3.1.0');
    const pauser = pauserFor(fake, memoryStore());
    await pauser.setBatchAvailable(false);
    fake.clearCalls();
    expect(await pauser.setBatchAvailable(false)).toEqual({ paused: [], resumed: [], skipped: [] });
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/queues']);

    await pauser.setBatchAvailable(true);
    fake.clearCalls();
    expect(await pauser.setBatchAvailable(true)).toEqual({ paused: [], resumed: [], skipped: [] });
    expect(fake.calls).toEqual([]);
  });

  it('remembers across restarts: a new pauser with the same store resumes what the old one paused', async () => {
    const fake = await startFake('2.3.1');
    const store = memoryStore();
    await pauserFor(fake, store).setBatchAvailable(false);
    fake.setPaused('videoConversion', true); // not ours, not configured

    const afterRestart = pauserFor(fake, store);
    expect((await afterRestart.setBatchAvailable(true)).resumed).toEqual(['smartSearch', 'faceDetection', 'ocr']);
    expect(pausedQueues(fake)).toEqual(['videoConversion']);
  });

  it('still resumes a queue it paused that was since removed from the configuration', async () => {
    const fake = await startFake('3.1.0');
    const store = memoryStore();
    await pauserFor(fake, store, { queues: ['smartSearch', 'duplicateDetection'] }).setBatchAvailable(false);
    const released = await pauserFor(fake, store, { queues: ['smartSearch'] }).setBatchAvailable(true);
    expect(released.resumed).toEqual(['smartSearch', 'duplicateDetection']);
    expect(pausedQueues(fake)).toEqual([]);
  });

  it('writes the list before each pause, so a crash or timeout mid-pause never loses a queue', async () => {
    const fake = await startFake('3.1.0');
    const seen: { list: string[]; pausedOnServer: string[] }[] = [];
    const store = memoryStore();
    const save = store.save;
    store.save = async (list) => {
      seen.push({ list, pausedOnServer: pausedQueues(fake) });
      await save(list);
    };
    await pauserFor(fake, store, { queues: ['smartSearch', 'faceDetection'] }).setBatchAvailable(false);
    expect(seen).toEqual([
      { list: ['smartSearch'], pausedOnServer: [] },
      { list: ['smartSearch', 'faceDetection'], pausedOnServer: ['smartSearch'] },
    ]);
  });

  it('skips configured queues this Immich version does not have (ocr before v2.2.0)', async () => {
    const fake = await startFake('2.1.0');
    const store = memoryStore();
    const held = await pauserFor(fake, store).setBatchAvailable(false);
    expect(held.paused).toEqual(['smartSearch', 'faceDetection']);
    expect(held.skipped).toEqual([{ queue: 'ocr', reason: 'this Immich server has no such queue' }]);
    expect(store.list).toEqual(['smartSearch', 'faceDetection']);
  });

  it('propagates a refused pause and does not keep the queue on its list', async () => {
    const fake = await startFake('2.3.1', { admin: ADMIN, limited: { key: 'read-only', permissions: ['job.read'] } });
    const store = memoryStore();
    const err: unknown = await pauserFor(fake, store, { apiKey: 'read-only' })
      .setBatchAvailable(false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImmichApiError);
    expect((err as ImmichApiError).code).toBe('immich_forbidden');
    expect(store.list).toEqual([]);
    expect(pausedQueues(fake)).toEqual([]);
  });

  it('propagates an unreachable server and keeps what it already paused', async () => {
    const fake = await startFake('3.1.0');
    const store = memoryStore();
    const pauser = pauserFor(fake, store);
    await pauser.setBatchAvailable(false);
    await fake.stop();
    await expect(pauser.setBatchAvailable(true)).rejects.toMatchObject({ code: 'immich_unreachable' });
    expect(store.list).toEqual(['smartSearch', 'faceDetection', 'ocr']);
  });

  it('runs overlapping calls one after the other', async () => {
    const fake = await startFake('3.1.0');
    const store = memoryStore();
    const pauser = pauserFor(fake, store);
    const [held, released] = await Promise.all([pauser.setBatchAvailable(false), pauser.setBatchAvailable(true)]);
    expect(held.paused).toEqual(['smartSearch', 'faceDetection', 'ocr']);
    expect(released.resumed).toEqual(['smartSearch', 'faceDetection', 'ocr']);
    expect(pausedQueues(fake)).toEqual([]);
    expect(store.list).toEqual([]);
  });

  it('stops between queues when the signal aborts', async () => {
    const fake = await startFake('3.1.0');
    const controller = new AbortController();
    const store = memoryStore();
    const client = createImmichQueues({ serverUrl: fake.url, apiKey: ADMIN, fetch: globalThis.fetch, clock: systemClock, timeoutMs: 5_000 });
    const pauser = createQueuePauser({
      client: { ...client, pause: async (q, s) => { await client.pause(q, s); controller.abort(new Error('stopping')); } },
      queues: ML_BATCH_QUEUES,
      store,
      log: silentLogger,
    });
    await expect(pauser.setBatchAvailable(false, controller.signal)).rejects.toThrow('stopping');
    expect(pausedQueues(fake)).toEqual(['smartSearch']);
    expect(store.list).toEqual(['smartSearch']);
  });

  it('logs what it paused and resumed', async () => {
    const fake = await startFake('3.1.0');
    const { log, lines } = captureLog();
    const client = createImmichQueues({ serverUrl: fake.url, apiKey: ADMIN, fetch: globalThis.fetch, clock: systemClock, timeoutMs: 5_000 });
    const pauser = createQueuePauser({ client, queues: ['smartSearch'], store: memoryStore(), log });
    await pauser.setBatchAvailable(false);
    await pauser.setBatchAvailable(true);
    expect(lines.filter((l) => l.includes('INFO')).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'INFO  paused Immich queue smartSearch active=0 waiting=0',
      'INFO  resumed Immich queue smartSearch waiting=0',
    ]);
  });
});
