/**
 * `POST /api/v1/bench` `{ "model"?: "llama3.2:3b" }` (issue 15): measures every offered node that
 * has the model, one at a time (agent/bench.ts), and answers the figures side by side. A change of
 * nobody's state, but it loads models and takes GPUs for seconds each: admin only, like the other
 * actions (api/admin-auth.ts).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { benchBodySchema, type BenchAnswer } from '../../agent/kernel/shapes/bench.js';
import { parseBody } from '../body.js';

export interface BenchRouteDeps {
  run: (opts: { model?: string | undefined }) => Promise<BenchAnswer>;
}

export function benchRoutes(deps: BenchRouteDeps, requireAdmin: MiddlewareHandler): Hono {
  const app = new Hono();
  app.post('/bench', requireAdmin, async (c) => {
    const body = await parseBody(c.req.raw, benchBodySchema);
    return c.json(await deps.run({ model: body.model }));
  });
  return app;
}
