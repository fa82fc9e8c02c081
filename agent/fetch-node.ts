/**
 * The agent's `fetch` for plain `http:` calls (probes of the local services, peers on the LAN):
 * node:http underneath, a real `Response` on top. Node's own fetch (undici) costs an idle agent 3–10 MB
 * more resident memory once it has made its first request: its HTTP parser is WebAssembly, compiled in
 * the process, with its connection machinery (measured for issue 14). node:http's parser is native
 * and already loaded for the API server.
 *
 * What it keeps of fetch's contract, because callers rely on it: the `Response` and `Headers` classes
 * themselves; a network error rejects with `TypeError('fetch failed')` whose `cause` is the socket
 * error (agent/kernel/fetch-error.ts reads its code); an abort rejects with the signal's reason, and
 * errors a body being read; `redirect: 'error'` rejects on a redirect, and a followed redirect is left
 * to Node's fetch. The defaults fetch adds (accept `*∕*`, a text content type and the length of a
 * string body) are added too. Anything else (https:, a `Request`, a streamed or form body) goes to
 * Node's fetch unchanged.
 */
import http from 'node:http';
import { Readable } from 'node:stream';

/** Methods fetch upper-cases (Fetch standard, "normalize a method"); others are sent as given. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose response has no body (Fetch standard, "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function createNodeFetch(fallback: typeof fetch): typeof fetch {
  return (input, init) => {
    const body = init?.body;
    const plainBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    if (href === undefined || !href.startsWith('http:') || !plainBody) return fallback(input, init);
    return request(new URL(href), init ?? {}, body ?? undefined, () => fallback(input, init));
  };
}

function request(url: URL, init: RequestInit, body: string | Uint8Array | undefined, follow: () => Promise<Response>): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const given = (init.method ?? 'GET').toUpperCase();
  const method = NORMALIZED_METHODS.has(given) ? given : (init.method ?? 'GET');
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', '*/*');
  if (typeof body === 'string' && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
  if (body !== undefined) headers.set('content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));

  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    let response: http.IncomingMessage | undefined;
    const req = http.request(url, { method, headers: Object.fromEntries(headers) });
    const onAbort = (): void => {
      const reason = signal?.reason as Error;
      if (!settled) {
        settled = true;
        reject(reason);
      }
      // While a body is being read, it fails with the reason, as fetch's does.
      if (response) response.destroy(reason);
      else req.destroy(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      reject(new TypeError('fetch failed', { cause: err }));
    });
    req.once('response', (res) => {
      response = res;
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location !== undefined && init.redirect !== 'manual') {
        signal?.removeEventListener('abort', onAbort);
        res.resume();
        settled = true;
        if (init.redirect === 'error') reject(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }));
        else resolve(follow());
        return;
      }
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
      const noBody = method === 'HEAD' || NULL_BODY.has(status);
      if (noBody) res.resume();
      // The abort listener stays until the body ends: an abort while reading errors the body.
      res.once('close', () => signal?.removeEventListener('abort', onAbort));
      settled = true;
      try {
        resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
      } catch (err) {
        // A status Response refuses (below 200 or above 599): fetch fails on those too.
        res.destroy();
        reject(new TypeError('fetch failed', { cause: err }));
      }
    });
    req.end(body);
  });
}
