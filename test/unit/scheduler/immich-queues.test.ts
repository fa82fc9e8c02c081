import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/kernel/clock.js';
import { AgentError } from '../../../agent/kernel/errors.js';
import { createImmichQueues, ImmichApiError, ML_BATCH_QUEUES, type ImmichQueues } from '../../../agent/adapters/immich-queues.js';
import { createFakeImmichApi, type FakeImmichApi, type FakeImmichApiOptions } from '../../fakes/fake-immich-api.js';
import { FakeClock } from '../../helpers/fake-clock.js';

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

function clientFor(fake: FakeImmichApi, apiKey = ADMIN): ImmichQueues {
  return createImmichQueues({ serverUrl: `${fake.url}/`, apiKey, fetch: globalThis.fetch, clock: systemClock, timeoutMs: 5_000 });
}

/** The requests as the server saw them: method, path, key, body. */
const requests = (fake: FakeImmichApi) => fake.calls.map((c) => ({ method: c.method, path: c.path, apiKey: c.apiKey, body: c.body }));

async function rejection(p: Promise<unknown>): Promise<ImmichApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImmichApiError);
  expect(err).toBeInstanceOf(AgentError);
  return err as ImmichApiError;
}

describe('ML_BATCH_QUEUES', () => {
  it('names the queues that call the ML service, exactly as Immich spells them (PROTOCOLS.md §3.4)', () => {
    expect(ML_BATCH_QUEUES).toEqual(['smartSearch', 'faceDetection', 'ocr']);
  });
});

describe('detectApi', () => {
  it.each([
    ['2.3.1', 'jobs'],
    ['2.2.0', 'jobs'],
    ['1.135.3', 'jobs'],
    ['2.4.0', 'queues'],
    ['3.0.0', 'queues'],
    ['3.1.0', 'queues'],
  ] as const)('Immich %s → %s', async (version, style) => {
    const fake = await startFake(version);
    expect(await clientFor(fake).detectApi()).toBe(style);
  });

  it('asks once, without the API key (the version endpoint is public), then caches the answer', async () => {
    const fake = await startFake('3.1.0');
    const client = clientFor(fake);
    await client.detectApi();
    await client.detectApi();
    await client.status();
    expect(requests(fake)).toEqual([
      { method: 'GET', path: '/api/server/version', apiKey: undefined, body: undefined },
      { method: 'GET', path: '/api/queues', apiKey: ADMIN, body: undefined },
    ]);
  });
});

describe.each([
  {
    version: '2.3.1',
    list: '/api/jobs',
    put: (q: string) => `/api/jobs/${q}`,
    pauseBody: { command: 'pause', force: false },
    resumeBody: { command: 'resume', force: false },
  },
  {
    version: '3.1.0',
    list: '/api/queues',
    put: (q: string) => `/api/queues/${q}`,
    pauseBody: { isPaused: true },
    resumeBody: { isPaused: false },
  },
])('Immich $version', ({ version, list, put, pauseBody, resumeBody }) => {
  it('reads every queue with its pause flag and counts', async () => {
    const fake = await startFake(version);
    Object.assign(fake.queues.smartSearch ?? {}, { active: 2, waiting: 1530, failed: 1 });
    fake.setPaused('faceDetection', true);
    const status = await clientFor(fake).status();
    expect(status.smartSearch).toEqual({ paused: false, active: 2, waiting: 1530 });
    expect(status.faceDetection).toEqual({ paused: true, active: 0, waiting: 0 });
    expect(Object.keys(status)).toEqual(Object.keys(fake.queues));
    expect(requests(fake).at(-1)).toEqual({ method: 'GET', path: list, apiKey: ADMIN, body: undefined });
  });

  it('pauses and resumes with the documented request shapes', async () => {
    const fake = await startFake(version);
    const client = clientFor(fake);
    await client.pause('smartSearch');
    expect(fake.queues.smartSearch?.isPaused).toBe(true);
    expect((await client.status()).smartSearch?.paused).toBe(true);
    await client.resume('smartSearch');
    expect(fake.queues.smartSearch?.isPaused).toBe(false);
    expect(requests(fake)).toEqual([
      { method: 'GET', path: '/api/server/version', apiKey: undefined, body: undefined },
      { method: 'PUT', path: put('smartSearch'), apiKey: ADMIN, body: pauseBody },
      { method: 'GET', path: list, apiKey: ADMIN, body: undefined },
      { method: 'PUT', path: put('smartSearch'), apiKey: ADMIN, body: resumeBody },
    ]);
    expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.headers['content-type'])).toEqual(['application/json', 'application/json']);
  });

  it('a wrong key is immich_unauthorized and says which setting to fix', async () => {
    const fake = await startFake(version);
    const err = await rejection(clientFor(fake, 'not-the-key').status());
    expect(err.code).toBe('immich_unauthorized');
    expect(err.status).toBe(401);
    expect(err.message).toBe('Immich rejected the API key (401): check immich.apiKey (Immich: "Invalid API key")');
  });

  it('a key of a user who is not an admin is immich_forbidden', async () => {
    const fake = await startFake(version, { admin: ADMIN, nonAdmin: 'user-key' });
    const err = await rejection(clientFor(fake, 'user-key').pause('smartSearch'));
    expect(err.code).toBe('immich_forbidden');
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/^the Immich API key lacks admin rights or the (job\.create|queue\.update) permission \(403\): pausing queues needs an admin key \(Immich: "Forbidden"\)$/);
    expect(fake.queues.smartSearch?.isPaused).toBe(false);
  });

  it('an admin key without the write scope names the missing permission', async () => {
    const fake = await startFake(version, { admin: ADMIN, limited: { key: 'read-only', permissions: ['job.read', 'queue.read'] } });
    const client = clientFor(fake, 'read-only');
    await client.status();
    const err = await rejection(client.pause('smartSearch'));
    const perm = version === '2.3.1' ? 'job.create' : 'queue.update';
    expect(err.code).toBe('immich_forbidden');
    expect(err.message).toBe(`the Immich API key lacks the ${perm} permission (403): pausing queues needs an admin key with ${perm} (or "all")`);
  });

  it('an unknown queue is immich_http with Immich’s validation message', async () => {
    const fake = await startFake(version);
    const err = await rejection(clientFor(fake).pause('smartsearch'));
    expect(err.code).toBe('immich_http');
    expect(err.status).toBe(400);
    expect(err.message).toContain(`Immich answered 400 to PUT ${put('smartsearch')}`);
    expect(err.message).toMatch(/smartSearch/);
  });
});

describe('failures without an Immich answer', () => {
  it('a stopped server is immich_unreachable, in plain words', async () => {
    const fake = await startFake('3.1.0');
    const client = clientFor(fake);
    await fake.stop();
    const err = await rejection(client.status());
    expect(err.code).toBe('immich_unreachable');
    expect(err.status).toBeNull();
    expect(err.message).toMatch(/^could not reach Immich for GET \/api\/server\/version: connection refused at http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a server that never answers is immich_unreachable after timeoutMs on the injected clock', async () => {
    const clock = new FakeClock();
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error), { once: true }));
    const client = createImmichQueues({ serverUrl: 'http://immich.test:2283', apiKey: ADMIN, fetch: hanging, clock, timeoutMs: 1_000 });
    const pending = rejection(client.detectApi());
    await clock.advance(1_000);
    const err = await pending;
    expect(err.code).toBe('immich_unreachable');
    expect(err.message).toBe('could not reach Immich for GET /api/server/version: no answer within 1000 ms from http://immich.test:2283');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('the caller’s abort is passed through as is, not reported as an Immich failure', async () => {
    const controller = new AbortController();
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error), { once: true }));
    const client = createImmichQueues({ serverUrl: 'http://immich.test:2283', apiKey: ADMIN, fetch: hanging, clock: new FakeClock(), timeoutMs: 1_000 });
    const pending = client.detectApi(controller.signal);
    const reason = new Error('stopping');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('an answer of the wrong shape is immich_bad_response with a hint about serverUrl', async () => {
    const mlService: typeof fetch = async () => new Response('{"detail":"Not Found"}', { status: 200, headers: { 'content-type': 'application/json' } });
    const client = createImmichQueues({ serverUrl: 'http://immich.test:3003', apiKey: ADMIN, fetch: mlService, clock: new FakeClock(), timeoutMs: 1_000 });
    const err = await rejection(client.detectApi());
    expect(err.code).toBe('immich_bad_response');
    expect(err.message).toMatch(/^Immich sent an unexpected answer to GET \/api\/server\/version \(major: .*\); is immich\.serverUrl \(http:\/\/immich\.test:3003\) the Immich server/);
  });

  it('an HTML page is immich_bad_response', async () => {
    const web: typeof fetch = async () => new Response('<!doctype html>', { status: 200 });
    const client = createImmichQueues({ serverUrl: 'http://immich.test', apiKey: ADMIN, fetch: web, clock: new FakeClock(), timeoutMs: 1_000 });
    expect((await rejection(client.detectApi())).code).toBe('immich_bad_response');
  });
});

describe('the fake Immich API (PROTOCOLS.md §3)', () => {
  const raw = async (fake: FakeImmichApi, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${fake.url}${path}`, init);
    return { status: res.status, body: (await res.json()) as unknown, correlation: res.headers.get('x-correlation-id') };
  };

  it('has no /api/queues before v2.4.0: NestJS 404 in the v2 body style, before any auth', async () => {
    const fake = await startFake('2.3.1');
    expect(await raw(fake, '/api/queues')).toMatchObject({ status: 404, body: { message: 'Cannot GET /api/queues', error: 'Not Found', statusCode: 404 } });
  });

  it('uses the v3 error body ({message} only) and the v3 version shape', async () => {
    const fake = await startFake('3.1.0');
    expect(await raw(fake, '/api/queues')).toMatchObject({ status: 401, body: { message: 'Authentication required' } });
    expect((await raw(fake, '/api/queues')).correlation).toBeTruthy();
    expect((await raw(fake, '/api/server/version')).body).toEqual({ major: 3, minor: 1, patch: 0, prerelease: null });
    expect(
      await raw(fake, '/api/queues/backgroundTask', { method: 'PUT', headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, body: '{"isPaused":true}' }),
    ).toMatchObject({ status: 400, body: { message: 'The BackgroundTask queue cannot be paused' } });
  });

  it('v2 servers have no prerelease field and no ocr queue before v2.2.0', async () => {
    const fake = await startFake('2.1.0');
    expect((await raw(fake, '/api/server/version')).body).toEqual({ major: 2, minor: 1, patch: 0 });
    expect(Object.keys(fake.queues)).toHaveLength(15);
    expect(fake.queues.ocr).toBeUndefined();
    expect(await raw(fake, '/api/jobs', { headers: { 'x-api-key': 'wrong' } })).toMatchObject({
      status: 401,
      body: { message: 'Invalid API key', error: 'Unauthorized', statusCode: 401 },
    });
  });

  it('a PUT without a JSON content type changes nothing (express leaves the body empty)', async () => {
    const fake = await startFake('3.1.0');
    const res = await raw(fake, '/api/queues/smartSearch', { method: 'PUT', headers: { 'x-api-key': ADMIN }, body: '{"isPaused":true}' });
    expect(res.status).toBe(200);
    expect(fake.queues.smartSearch?.isPaused).toBe(false);
  });

  it('stop() is idempotent', async () => {
    const fake = await startFake('3.1.0');
    await fake.stop();
    await fake.stop();
  });
});
