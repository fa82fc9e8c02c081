/**
 * Header hygiene for forwarding (RFC 9110 §7.6.1): hop-by-hop headers, and those named in
 * `Connection`, apply to one connection only and are never forwarded.
 *
 * Headers travel as node:http's flat `rawHeaders` list (name, value, name, value, …) and go out as
 * one too: `http.request` and `writeHead` take such a list as it is, while an object is copied
 * field by field through `setHeader` and its checks. Copying header objects by spread was the
 * largest cost of the proxy's own code on small requests (issue 14). The list also keeps repeated
 * fields (two `Set-Cookie` lines) as they came.
 */
import type { OutgoingHttpHeaders } from 'node:http';

/** Header fields in order, names as sent: `[name, value, name, value, …]`. */
export type HeaderList = string[];

const HOP_BY_HOP: ReadonlySet<string> = new Set([
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

const NOTHING: ReadonlySet<string> = new Set();
const NO_OVERRIDES: readonly OutgoingHttpHeaders[] = [];

/**
 * The end-to-end fields of `raw` (a `rawHeaders` list), without those in `drop` (lower case),
 * followed by the fields of each of `own`, which replace any field of the same name in `raw`.
 *
 * Content-Length is end-to-end (RFC 9110 §8.6) and is kept on answers passed through byte for
 * byte; the forwarder drops it itself where it rewrites a body or sends one of its own.
 */
export function forwardedHeaders(raw: readonly string[], drop: ReadonlySet<string> = NOTHING, own: readonly OutgoingHttpHeaders[] = NO_OVERRIDES): HeaderList {
  const named = connectionNamed(raw);
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || drop.has(lower) || ownHas(own, lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  for (const o of own) appendHeaders(out, o);
  return out;
}

function ownHas(own: readonly OutgoingHttpHeaders[], name: string): boolean {
  for (const o of own) if (Object.hasOwn(o, name)) return true;
  return false;
}

/** Appends the fields of a header object to a list (a repeated field as one line per value). */
export function appendHeaders(list: HeaderList, headers: OutgoingHttpHeaders): HeaderList {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) list.push(name, v);
    else list.push(name, String(value));
  }
  return list;
}

/** The fields a `Connection` header names (hop-by-hop too); usually none: `keep-alive` or `close`. */
function connectionNamed(raw: readonly string[]): ReadonlySet<string> {
  let named: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    const value = raw[i + 1] as string;
    if (value === 'keep-alive' || value === 'close') continue;
    named ??= new Set();
    for (const h of value.split(',')) {
      const field = h.trim().toLowerCase();
      if (field) named.add(field);
    }
  }
  return named ?? NOTHING;
}
