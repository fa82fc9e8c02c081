/**
 * The part of a routed request's target after the endpoint prefix (`/ollama`, `/immich-ml`) is a
 * path on the chosen service, nothing else (issue 10 §2). It is appended to an origin that comes from
 * the registry or the config, so anything that could be read as an authority, a scheme or a step out
 * of the path is refused before a connection is made: `//host`, `http://host`, backslashes (WHATWG
 * URL parsers read `\` as `/` for http), percent-encoded slashes and backslashes, and dot segments,
 * plain or encoded (RFC 3986 §5.2.4 would remove them, moving the request elsewhere).
 */
export type RoutedPath = { ok: true; path: string } | { ok: false; reason: string };

const ENCODED_SEPARATOR = /%(?:2f|5c)/i;
const ENCODED_DOTS = /%2e/gi;
/** Segments of letters, digits, `_`, `-` and inner dots (never `.` or `..`), then a query without spaces or control characters. */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point here
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+\/?(?:\?[^\x00-\x20\x7f]*)?$/;

/**
 * @example checkRoutedPath('/api/chat') // { ok: true, path: '/api/chat' }
 * @example checkRoutedPath('//10.0.0.1:22/x') // { ok: false, reason: '…' }
 */
export function checkRoutedPath(raw: string): RoutedPath {
  // The usual path (`/api/chat`, `/v1/models/x?y=1`) passes every rule below by its shape alone;
  // checking them one by one on every request was measurable (issue 14).
  if (PLAIN_PATH.test(raw)) return { ok: true, path: raw };
  // `/ollama` and `/ollama?x` have nothing after the prefix: the service's root.
  const path = raw === '' || raw.startsWith('?') ? `/${raw}` : raw;
  if (!path.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  const q = path.indexOf('?');
  const pathname = q === -1 ? path : path.slice(0, q);
  if (pathname.startsWith('//')) return { ok: false, reason: 'a path may not start with // (it would name another host)' };
  if (pathname.includes('\\')) return { ok: false, reason: 'a path may not contain a backslash' };
  if (ENCODED_SEPARATOR.test(pathname)) return { ok: false, reason: 'a path may not contain an encoded / or \\ (%2F, %5C)' };
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point here
  if (/[\x00-\x20\x7f]/.test(path)) return { ok: false, reason: 'a path may not contain spaces or control characters' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathname.slice(1))) return { ok: false, reason: 'a path may not be an absolute URL' };
  for (const segment of pathname.split('/')) {
    const decoded = segment.replace(ENCODED_DOTS, '.');
    if (decoded === '.' || decoded === '..') return { ok: false, reason: 'a path may not contain . or .. segments' };
  }
  if (pathname.includes('//')) return { ok: false, reason: 'a path may not contain an empty segment (//)' };
  return { ok: true, path };
}
