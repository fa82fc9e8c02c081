/**
 * The request body limit of every `/api/v1` route (issue 11: `POST /api/v1/login` with an endless
 * chunked body read 628 MB in 15 s before any check). hono's bodyLimit refuses a declared
 * Content-Length over the limit before reading anything and cuts a chunked body off as soon as it
 * passes the limit; @hono/node-server then drains at most 64 MB / 500 ms of what the client still
 * sends and closes the socket (its listener.ts, drainIncoming).
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorResponse } from './errors.js';

/**
 * The largest body of any API route today is a settings document of a few KB; 1 MiB leaves room
 * and keeps a flood of concurrent uploads from growing the heap by more than a few MB each.
 */
export const API_MAX_BODY_BYTES = 1024 * 1024;

export function apiBodyLimit(maxBytes = API_MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => errorResponse(c, 413, { code: 'body_too_large', message: `the request body is larger than ${maxBytes} bytes, the limit of this API` }),
  });
}
