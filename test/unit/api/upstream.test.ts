/**
 * requestUpstream: the origin comes only from the target, and a relayed answer counts only when
 * the node meant signed its head (issue 10 §1, §2). Real sockets on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_HEADERS, createRequestVerifier, signRelayResponse } from '../../../discovery/peer-auth.js';
import type { Target } from '../../../api/proxy/targets.js';
import { requestUpstream } from '../../../api/proxy/upstream.js';

const KEY = 'upstream-test-mesh-key-0123456789';
const HUB = '11111111111111111111111111111111';
const PC = '22222222222222222222222222222222';
const servers: http.Server[] = [];
const agent = new http.Agent({ keepAlive: false });
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const relay = { key: () => KEY, selfId: () => HUB, nowMs: () => Date.now() };

function call(target: Target, path: string): Promise<{ status: number; authentic: boolean; body: string }> {
  const { request, authentic } = requestUpstream(target, { method: 'POST', path, headers: ['content-type', 'application/json'], body: Buffer.from('{"model":"m"}'), agent, relay });
  return new Promise((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, authentic: authentic(res), body }));
    });
    request.on('error', reject);
    request.end(Buffer.from('{"model":"m"}'));
  });
}

describe('requestUpstream', () => {
  it("a local target gets the path under the service's own prefix and a loopback Host header", async () => {
    let seen: http.IncomingMessage | null = null;
    const port = await serve((req, res) => {
      seen = req;
      res.end('ok');
    });
    const r = await call({ nodeId: HUB, name: 'hub', via: 'local', host: '127.0.0.1', port, pathPrefix: '/base', dialled: null }, '/api/chat');
    expect(r).toEqual({ status: 200, authentic: true, body: 'ok' });
    expect(seen!.url).toBe('/base/api/chat');
    expect(seen!.headers.host).toBe(`localhost:${port}`);
    // The given fields and the body's length go with it, each once (headers.ts sends a list).
    expect(seen!.headers['content-type']).toBe('application/json');
    expect(seen!.headers['content-length']).toBe(String(Buffer.byteLength('{"model":"m"}')));
    expect(seen!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()).sort()).toEqual(['connection', 'content-length', 'content-type', 'host']);
  });

  it('a relayed request is signed for its recipient and the address dialled; the signed answer is authentic', async () => {
    const verifier = createRequestVerifier({ key: KEY, selfId: () => PC, nowMs: () => Date.now() });
    const port = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const local = `127.0.0.1:${req.socket.localPort}`;
        const v = verifier.verify({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), local });
        if (!v.ok) {
          res.writeHead(401).end(v.reason);
          return;
        }
        res.writeHead(200, { [AUTH_HEADERS.signature]: signRelayResponse({ key: KEY, requestNonce: v.nonce, responderId: PC, addr: local, status: 200 }) }).end('relayed');
      });
    });
    const target: Target = { nodeId: PC, name: 'gaming-pc', via: 'relay', host: '127.0.0.1', port, pathPrefix: '/api/v1/peer/relay/ollama', dialled: `127.0.0.1:${port}` };
    expect(await call(target, '/api/chat')).toEqual({ status: 200, authentic: true, body: 'relayed' });
  });

  it('a relayed answer without the recipient\'s signature (or signed as another node) is not authentic', async () => {
    const port = await serve((req, res) => {
      const nonce = String(req.headers[AUTH_HEADERS.nonce]);
      const asOther = signRelayResponse({ key: KEY, requestNonce: nonce, responderId: HUB, addr: `127.0.0.1:${req.socket.localPort}`, status: 200 });
      res.writeHead(200, req.url?.endsWith('/signed-by-other') ? { [AUTH_HEADERS.signature]: asOther } : {}).end('from something in between');
    });
    const target: Target = { nodeId: PC, name: 'gaming-pc', via: 'relay', host: '127.0.0.1', port, pathPrefix: '/api/v1/peer/relay/ollama', dialled: `127.0.0.1:${port}` };
    expect((await call(target, '/unsigned')).authentic).toBe(false);
    expect((await call(target, '/signed-by-other')).authentic).toBe(false);
  });
});
