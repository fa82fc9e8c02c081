/**
 * Header hygiene for forwarding (RFC 9110 §7.6.1): hop-by-hop headers, and those named in
 * `Connection`, apply to one connection only and are never forwarded.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/**
 * Content-Length is end-to-end (RFC 9110 §8.6) and is kept on answers passed through byte for
 * byte; the forwarder drops it itself where it rewrites a body or sends one of its own.
 */
export function endToEndHeaders(headers: IncomingHttpHeaders, drop: ReadonlySet<string> = NOTHING): OutgoingHttpHeaders {
  const connection = headers.connection;
  // Usually just `keep-alive` or `close`, hop-by-hop anyway: no list to split (issue 14: per request).
  const named = connection === undefined || connection === 'keep-alive' || connection === 'close' ? NOTHING : namedIn(connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || drop.has(name)) continue;
    out[name] = value;
  }
  return out;
}

const NOTHING: ReadonlySet<string> = new Set();

function namedIn(connection: string): ReadonlySet<string> {
  return new Set(
    connection
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
}
