import { webRoutes } from '../../../web/routes.js';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../../api/app.js';
import { createProxyStats } from '../../../api/proxy/stats.js';
import { systemClock } from '../../../agent/kernel/clock.js';
import { AgentError } from '../../../agent/kernel/errors.js';
import { nodeAdvertSchema, type NodeAdvert } from '../../../discovery/advert.js';
import { captureLog } from '../../helpers/capture-log.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';
import { allowAll } from '../../helpers/allow-all.js';

const unusedView = (): never => {
  throw new Error('unused');
};

const rest = {
  nodes: () => [],
  staticPeers: () => {
    throw new Error('unused');
  },
  peer: { key: () => null, verifier: () => null, settings: { view: unusedView, save: () => Promise.reject(new Error('unused')), acceptRemote: () => false }, nowMs: () => 0, nodeId: () => '', seq: () => 0, leaving: () => false },
  stats: () => createProxyStats({ nowMs: () => 0 }),
  events: { clock: systemClock, initial: () => [], subscribe: () => () => undefined },
  admin: { token: () => null, nowMs: () => 0 },
  access: () => allowAll,
  ui: webRoutes({ selfName: () => 'test', nodes: () => [], placement: () => null, history: () => [], recentRequests: () => [], nowMs: () => 0, displayZone: 'UTC' }),
  settings: {
    view: () => {
      throw new Error('unused');
    },
    save: () => Promise.reject(new Error('unused')),
    reset: () => Promise.reject(new Error('unused')),
    test: () => Promise.reject(new Error('unused')),
    remote: { view: () => Promise.reject(new Error('unused')), save: () => Promise.reject(new Error('unused')) },
  },
  placement: new Proxy({} as AppDeps['placement'], {
    get: () => () => {
      throw new Error('unused');
    },
  }),
  bench: { run: () => Promise.reject(new Error('unused')) },
};

describe('API app (in process)', () => {
  const app = createApp({ log: captureLog().log, advert: () => sampleAdvert(), ...rest });

  it('GET /api/v1/health → {"status":"ok"}', async () => {
    const res = await app.request('/api/v1/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /api/v1/node → the advert, valid against its schema', async () => {
    const res = await app.request('/api/v1/node');
    expect(res.status).toBe(200);
    const body = nodeAdvertSchema.parse(await res.json());
    expect(body.name).toBe('gaming-pc');
    expect(body.hardware?.gpus[0]?.vramTotalMb).toBe(16376);
  });

  it('an unknown path is a JSON 404 with a stable code', async () => {
    const res = await app.request('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /api/v1/nope; the API lives under /api/v1' } });
  });

  it('typed errors map to their status and code; anything else is a 500 without internals', async () => {
    const { log, records } = captureLog();
    const failing = (err: unknown) =>
      createApp({
        ...rest,
        log,
        advert: (): NodeAdvert => {
          throw err;
        },
      });
    const typed = await failing(new AgentError('not_started', 'the agent is not started yet', { httpStatus: 503 })).request('/api/v1/node');
    expect(typed.status).toBe(503);
    expect(await typed.json()).toEqual({ error: { code: 'not_started', message: 'the agent is not started yet' } });
    const other = await failing(new Error('secret path /etc/x')).request('/api/v1/node');
    expect(other.status).toBe(500);
    const body = (await other.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal_error');
    expect(body.error.message).not.toContain('secret');
    expect(records.some((r) => r.level === 'error' && String(r.fields.error).includes('secret path'))).toBe(true);
  });
});
