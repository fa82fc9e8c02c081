/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API (api/openapi.ts). Mounted at `/`.
 * Built on the first request and kept: it changes only with the code.
 */
import { Hono } from 'hono';
import { buildOpenApi } from '../openapi.js';

export function openApiRoutes(opts: { version: string }): Hono {
  let body: string | null = null;
  return new Hono().get('/api/v1/openapi.json', (c) => {
    body ??= JSON.stringify(buildOpenApi(opts));
    return c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });
}
