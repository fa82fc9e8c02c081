/**
 * The one place where errors become HTTP (DESIGN.md §6.8). Every error body has a stable `code`:
 * `{ "error": { "code": "...", "message": "...", "details"?: ... } }`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AgentError, describeError } from '../agent/kernel/errors.js';
import type { Logger } from '../agent/kernel/log.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorResponse(c: Context, status: ContentfulStatusCode, body: ErrorBody['error']): Response {
  return c.json({ error: body } satisfies ErrorBody, status);
}

export function createErrorHandler(log: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof AgentError) {
      const status = err.httpStatus as ContentfulStatusCode;
      if (status >= 500) log.error('request failed', { path: c.req.path, code: err.code, error: err.message });
      return errorResponse(c, status, { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) });
    }
    if (err instanceof HTTPException) {
      return errorResponse(c, err.status, { code: 'http_error', message: err.message || 'request refused' });
    }
    log.error('unexpected error while handling a request', { path: c.req.path, error: describeError(err) });
    return errorResponse(c, 500, { code: 'internal_error', message: 'internal error; see the agent log' });
  };
}
