/**
 * The peer transport over real loopback sockets (peer-transport.ts): answers, size limits, aborts,
 * and the closed-connection signal that tells discovery a peer may have crashed (issue 17).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPeerHttpClient, type PeerHttpClient } from '../../../discovery/peer-transport.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function serve(handler: http.RequestListener): Promise<{ origin: string; sockets: Set<Socket> }> {
  const server = http.createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

function client(onConnectionClosed?: (origin: string) => void): PeerHttpClient {
  const c = createPeerHttpClient(onConnectionClosed ? { onConnectionClosed } : {});
  cleanups.push(() => c.close());
  return c;
}

const get = (c: PeerHttpClient, origin: string, maxBodyBytes = 1024, signal = new AbortController().signal) =>
  c.send({ method: 'GET', origin, path: '/api/v1/peer/ping?x=1', headers: { 'x-a': '1' }, signal, maxBodyBytes });

describe('peer transport', () => {
  it('sends the path and headers, and gives the status, headers and body back', async () => {
    const { origin } = await serve((req, res) => {
      res.writeHead(201, { 'x-im-node': 'n1', 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, a: req.headers['x-a'] }));
    });
    const answer = await get(client(), origin);
    expect(answer.status).toBe(201);
    expect(answer.header('X-IM-Node')).toBe('n1');
    expect(answer.header('x-missing')).toBeNull();
    expect(JSON.parse(Buffer.from(answer.body).toString('utf8'))).toEqual({ url: '/api/v1/peer/ping?x=1', a: '1' });
    expect(answer.tooLarge).toBeNull();
  });

  it('a PUT carries its body with its length', async () => {
    const { origin } = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => res.end(`${req.headers['content-length']}:${body}`));
    });
    const answer = await client().send({ method: 'PUT', origin, path: '/x', headers: {}, body: '{"é":1}', signal: new AbortController().signal, maxBodyBytes: 100 });
    expect(Buffer.from(answer.body).toString('utf8')).toBe('8:{"é":1}');
  });

  it('an answer over the limit is cut off: declared, or streamed without a length', async () => {
    const big = 'x'.repeat(5000);
    const declared = await serve((_req, res) => res.end(big));
    expect((await get(client(), declared.origin)).tooLarge).toEqual({ declaredBytes: 5000 });
    const streamed = await serve((_req, res) => {
      res.write(big);
      res.end(big);
    });
    const answer = await get(client(), streamed.origin);
    expect(answer.tooLarge).toEqual({ declaredBytes: null });
    expect(answer.body.byteLength).toBe(0);
  });

  it('rejects with the socket error code when nothing listens', async () => {
    const { origin, sockets } = await serve((_req, res) => res.end('x'));
    void sockets;
    await cleanups.pop()?.(); // the server is gone
    await expect(get(client(), origin)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an abort rejects with the signal reason', async () => {
    const { origin } = await serve(() => undefined); // never answers
    const controller = new AbortController();
    const pending = get(client(), origin, 1024, controller.signal);
    controller.abort(new Error('no answer within 50 ms'));
    await expect(pending).rejects.toThrow('no answer within 50 ms');
  });

  it('tells when a kept-alive connection closes by the peer, and not when the client itself closes', async () => {
    const closed: string[] = [];
    const { origin, sockets } = await serve((_req, res) => res.end('ok'));
    const c = client((o) => closed.push(o));
    await get(c, origin);
    expect(closed).toEqual([]);
    for (const s of sockets) s.destroy(); // what the kernel does to a crashed agent's sockets
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toEqual([origin]);

    await get(c, origin);
    c.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toEqual([origin]);
  });

  it('a GET that meets a reset on a reused connection is sent once more on a new one', async () => {
    const perSocket = new WeakMap<Socket, number>();
    const { origin, sockets } = await serve((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 2) req.socket.destroy(); // the second request on a kept-alive connection: reset, unanswered
      else res.end('ok');
    });
    const c = client();
    await get(c, origin);
    const answer = await get(c, origin);
    expect(Buffer.from(answer.body).toString('utf8')).toBe('ok');
    expect(sockets.size).toBe(2);
  });
});
