import { Hono } from 'hono';

/** `GET /api/v1/health`: the agent answers. It says nothing about Ollama or peers on purpose. */
export function healthRoutes(): Hono {
  return new Hono().get('/health', (c) => c.json({ status: 'ok' }));
}
