import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeFetch } from '../../../agent/fetch-node.js';
import { describeFetchError } from '../../../agent/kernel/fetch-error.js';
import { freePort } from '../../helpers/cli.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let base: string;
let seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/json') res.writeHead(200, { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end('{"ok":true}');
      else if (req.url === '/empty') res.writeHead(204).end();
      else if (req.url === '/moved') res.writeHead(302, { location: '/json' }).end();
      else if (req.url === '/missing') res.writeHead(404, 'Nope').end('not here');
      else if (req.url === '/slow-headers') setTimeout(() => res.end('late'), 2000);
      else if (req.url === '/slow-body') {
        res.writeHead(200);
        res.write('first');
        setTimeout(() => res.end('second'), 2000);
      } else res.end(`echo ${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function nodeFetch(): { fetch: typeof fetch; fallback: ReturnType<typeof vi.fn> } {
  const fallback = vi.fn((input: string | URL | Request, init?: RequestInit) => fetch(input, init));
  return { fetch: createNodeFetch(fallback), fallback };
}

describe('createNodeFetch', () => {
  it('answers a real Response over node:http, with its status, headers and body', async () => {
    const { fetch: f, fallback } = nodeFetch();
    const res = await f(`${base}/json`);
    expect(res).toBeInstanceOf(Response);
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-two')).toBe('a, b');
    expect(await res.json()).toEqual({ ok: true });
    const missing = await f(new URL(`${base}/missing`));
    expect([missing.ok, missing.status, missing.statusText, await missing.text()]).toEqual([false, 404, 'Nope', 'not here']);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('sends what fetch sends: method, headers in any form, a string body with its type and length', async () => {
    const { fetch: f } = nodeFetch();
    seen = [];
    await (await f(`${base}/echo`, { method: 'post', body: 'héllo', headers: [['x-a', '1']] })).text();
    await (await f(`${base}/echo`, { method: 'PUT', body: new TextEncoder().encode('{}'), headers: new Headers({ 'content-type': 'application/json', accept: 'application/json' }) })).text();
    await (await f(`${base}/echo`, { headers: { 'X-B': '2' } })).text();
    expect(seen.map((s) => [s.method, s.body, s.headers['content-type'], s.headers['content-length'], s.headers.accept])).toEqual([
      ['POST', 'héllo', 'text/plain;charset=UTF-8', '6', '*/*'],
      ['PUT', '{}', 'application/json', '2', 'application/json'],
      ['GET', '', undefined, undefined, '*/*'],
    ]);
    expect(seen[0]?.headers['x-a']).toBe('1');
    expect(seen[2]?.headers['x-b']).toBe('2');
  });

  it('gives a null body for 204 and HEAD', async () => {
    const { fetch: f } = nodeFetch();
    expect((await f(`${base}/empty`)).body).toBeNull();
    const head = await f(`${base}/json`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, null]);
  });

  it('fails as fetch fails: TypeError("fetch failed") with the socket error as cause', async () => {
    const { fetch: f } = nodeFetch();
    const url = `http://127.0.0.1:${await freePort()}/`;
    const err: unknown = await f(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
    expect(describeFetchError(err, url)).toBe(`connection refused at ${url}`);
  });

  it('rejects with the signal reason on an abort before the answer, and errors the body on one during it', async () => {
    const { fetch: f } = nodeFetch();
    await expect(f(`${base}/slow-headers`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const already = AbortSignal.abort();
    await expect(f(`${base}/json`, { signal: already })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const res = await f(`${base}/slow-body`, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a redirect under redirect: "error", and leaves following one to Node\'s fetch', async () => {
    const { fetch: f, fallback } = nodeFetch();
    await expect(f(`${base}/moved`, { redirect: 'error' })).rejects.toThrow('fetch failed');
    expect(fallback).not.toHaveBeenCalled();
    const followed = await f(`${base}/moved`);
    expect(await followed.json()).toEqual({ ok: true });
    expect(fallback).toHaveBeenCalledTimes(1);
    const manual = await f(`${base}/moved`, { redirect: 'manual' });
    expect([manual.status, manual.headers.get('location')]).toEqual([302, '/json']);
  });

  it('leaves https:, Request inputs and streamed bodies to Node\'s fetch', async () => {
    const { fetch: f, fallback } = nodeFetch();
    await (await f(new Request(`${base}/json`))).text();
    await (await f(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ a: '1' }) })).text();
    await f('https://127.0.0.1:1/').catch(() => undefined);
    expect(fallback).toHaveBeenCalledTimes(3);
  });
});
