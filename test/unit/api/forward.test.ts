/**
 * forwardWithFailover passes a committed stream on as it comes (issue 10): what one read of the
 * upstream socket brought leaves in one write, bytes unchanged and in order, and what had arrived
 * before a stream broke still reaches the client ahead of the error frame. Real sockets on loopback.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/kernel/clock.js';
import { forwardWithFailover, type AnswerMeter, type Attempt } from '../../../api/proxy/forward.js';
import type { Target } from '../../../api/proxy/targets.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const agent = new http.Agent({ keepAlive: false });
const relayCredentials = { key: () => null, selfId: () => 'self', nowMs: () => Date.now() };

/** A raw upstream: the whole answer (head and every chunked frame) in one socket write, then `after`. */
async function rawUpstream(answer: string, after: 'end' | 'break'): Promise<number> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      if (after === 'end') socket.end(answer);
      else socket.write(answer, () => socket.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

/** The agent's side: one attempt to `port`, whatever the client asks. */
async function forwarder(port: number, rewrite: Attempt['rewrite'] = null, o: { agent?: http.Agent; meter?: (attempt: Attempt) => AnswerMeter | null } = {}): Promise<number> {
  const target: Target = { nodeId: 'n', name: 'pc', via: 'local', host: '127.0.0.1', port, pathPrefix: '', dialled: null };
  const server = http.createServer((req, res) => {
    void forwardWithFailover({
      req,
      res,
      attempts: [{ target, path: '/api/generate', body: Buffer.from('{}'), rewrite, headers: {} }],
      clock: systemClock,
      agent: o.agent ?? agent,
      firstByteTimeoutMs: 5000,
      ...(o.meter ? { meter: o.meter } : {}),
      retryable: () => false,
      errorFrame: (_type, message) => `${JSON.stringify({ error: message })}\n`,
      onFailover: () => undefined,
      relay: relayCredentials,
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

function get(port: number): Promise<{ status: number; body: string; chunks: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent }, (res) => {
      let body = '';
      let chunks = 0;
      res.on('data', (c: Buffer) => {
        chunks++;
        body += c.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, chunks }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{}');
  });
}

const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => `${JSON.stringify({ response: ` t${i}`, done: false })}\n`);
const chunked = (parts: readonly string[]): string => parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('');
const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';

describe('forwardWithFailover, a committed stream', () => {
  it('passes frames that arrived together on in one write, bytes unchanged and in order', async () => {
    const parts = lines(400);
    const port = await forwarder(await rawUpstream(`${HEAD}${chunked(parts)}0\r\n\r\n`, 'end'));
    const got = await get(port);
    expect(got.status).toBe(200);
    expect(got.body).toBe(parts.join(''));
    // 400 frames in one upstream write: passed on frame by frame, the client would see ~400 reads.
    expect(got.chunks).toBeLessThan(40);
  });

  it('rewrites whole lines when the attempt asks for it, also across frame boundaries', async () => {
    const text = lines(50).join('');
    const split = [text.slice(0, 7), text.slice(7, 500), text.slice(500)];
    const port = await forwarder(await rawUpstream(`${HEAD}${chunked(split)}0\r\n\r\n`, 'end'), (l) => l.replaceAll('"t', '"T'));
    const got = await get(port);
    expect(got.body).toBe(text.replaceAll('"t', '"T'));
  });

  it('delivers what arrived before the upstream broke, then the error frame', async () => {
    const parts = lines(20);
    const port = await forwarder(await rawUpstream(`${HEAD}${chunked(parts)}`, 'break'));
    const got = await get(port);
    expect(got.body.startsWith(parts.join(''))).toBe(true);
    expect(got.body.slice(parts.join('').length)).toMatch(/^\{"error":"pc stopped answering in the middle of the response"\}\n$/);
  });

  it('makes the meter before the upstream request (nothing runs between end() and the write node:http defers), and feeds it the answer', async () => {
    const parts = lines(5);
    const upstreamAgent = new http.Agent({ keepAlive: false });
    let socketsAtMeter = -1;
    const pushed: string[] = [];
    let endedWith = 0;
    const port = await forwarder(await rawUpstream(`${HEAD}${chunked(parts)}0\r\n\r\n`, 'end'), null, {
      agent: upstreamAgent,
      meter: () => {
        socketsAtMeter = Object.values(upstreamAgent.sockets).flat().length;
        return { push: (c) => pushed.push(c.toString('utf8')), end: (status) => (endedWith = status) };
      },
    });
    const got = await get(port);
    expect(got.body).toBe(parts.join(''));
    expect(socketsAtMeter).toBe(0);
    expect(pushed.join('')).toBe(parts.join(''));
    expect(endedWith).toBe(200);
  });
});
