/**
 * Closing a connection whose request body was refused unread (a 413 from the declared
 * Content-Length), so the client can read the answer. Closing at once with the body still arriving
 * makes the kernel send a reset, and a reset discards the 413 the client had not read yet
 * (measured with issue 11's `Content-Length: 2147483648` client: about one answer in two lost).
 * RFC 9112 §9.6 asks for a close in stages: half-close (FIN) after the response, go on reading
 * until the client closes or has surely read it, then close. Bounded in time and bytes, like
 * nginx's lingering_close (ngx_http_core_module: lingering_time, lingering_timeout).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../agent/kernel/clock.js';

export const LINGER_MS = 1000;
export const LINGER_MAX_BYTES = 16 * 1024 * 1024;

/** Call right after writing the refusal; the body is read and thrown away until the close. */
export function closeAfterRefusal(req: IncomingMessage, res: ServerResponse, clock: Clock): void {
  const socket = req.socket;
  let read = 0;
  const onData = (chunk: Buffer): void => {
    read += chunk.length;
    if (read > LINGER_MAX_BYTES) socket.destroy();
  };
  const cancel = clock.setTimeout(() => socket.destroy(), LINGER_MS);
  socket.on('data', onData);
  socket.once('close', () => {
    cancel();
    socket.off('data', onData);
  });
  // http.Server sockets allow half-open connections: end() sends FIN and reading goes on.
  if (res.writableFinished) socket.end();
  else res.once('finish', () => socket.end());
  req.resume();
}
