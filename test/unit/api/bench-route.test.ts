/**
 * `POST /api/v1/bench` (issue 15): admin only, a strict body, and the bench's answer passed through.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createAdminAuth } from '../../../api/admin-auth.js';
import { createErrorHandler } from '../../../api/errors.js';
import { benchRoutes } from '../../../api/routes/bench.js';
import { benchAnswerSchema } from '../../../agent/kernel/shapes/bench.js';
import { captureLog } from '../../helpers/capture-log.js';

const TOKEN = 'the-admin-token-for-bench-tests';

function app() {
  const runs: (string | undefined)[] = [];
  const a = new Hono();
  a.onError(createErrorHandler(captureLog().log));
  const admin = createAdminAuth({ token: () => TOKEN, nowMs: () => 0 });
  a.route(
    '/api/v1',
    benchRoutes(
      {
        run: async ({ model }) => {
          runs.push(model);
          return { atMs: 1, model: model ?? 'llama3.2:3b', nodes: [{ nodeId: 'a', name: 'hub', gpu: null, model: model ?? 'llama3.2:3b', genTokPerSec: 8, promptTokPerSec: 60, ttftMs: 900, loadMs: 0 }] };
        },
      },
      admin.middleware,
    ),
  );
  const post = (body: string, token: string | null = TOKEN) =>
    a.request('/api/v1/bench', { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { post, runs };
}

describe('POST /api/v1/bench', () => {
  it('needs the admin credential: 401 without, 403 with a wrong one, and never runs', async () => {
    const { post, runs } = app();
    expect((await post('{}', null)).status).toBe(401);
    expect((await post('{}', 'wrong-token-wrong-token-wrong')).status).toBe(403);
    expect(runs).toEqual([]);
  });

  it('400 on a body that is not JSON or not the shape, listing the problem', async () => {
    const { post, runs } = app();
    for (const body of ['', 'nope', '{"model":""}', '{"model":7}', '{"model":"x","nodes":[]}']) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect(runs).toEqual([]);
  });

  it('runs the bench for the model asked (or the default) and answers its figures', async () => {
    const { post, runs } = app();
    const res = await post('{"model":"llama3.1:8b"}');
    expect(res.status).toBe(200);
    expect(benchAnswerSchema.parse(await res.json()).nodes[0]).toMatchObject({ name: 'hub', genTokPerSec: 8 });
    expect((await post('{}')).status).toBe(200);
    expect(runs).toEqual(['llama3.1:8b', undefined]);
  });
});
