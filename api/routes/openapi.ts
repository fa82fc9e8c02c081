/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API (api/openapi.ts). Mounted at `/`.
 * Built on the first request and kept: it changes only with the code. The builder (and its table of
 * every operation's schemas) is imported then too, so an agent nobody asks costs nothing (issue 14).
 */
import { Hono } from 'hono';

export function openApiRoutes(opts: { version: string }): Hono {
  let body: string | null = null;
  return new Hono().get('/api/v1/openapi.json', async (c) => {
    body ??= JSON.stringify((await import('../openapi.js')).buildOpenApi(opts));
    return c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });
}
