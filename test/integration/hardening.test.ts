/**
 * Issue 11 over real sockets, one agent with a fake Ollama: body limits that refuse before reading
 * (declared Content-Length) or cut a chunked body off, the 75 s keep-alive, and model management
 * behind the admin credential while inference stays open. Clients outside the allowed networks
 * are covered in test/unit/api/client-access.test.ts (in process, any address) and from a real
 * foreign address in test/netns/hostile.test.ts.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

let ollama: FakeOllama;
let agent: TestAgent;

beforeAll(async () => {
  ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }, { name: 'old-model:latest' }] });
  await ollama.start();
  agent = await startTestAgent({ config: { mesh: { key: 'hardening-test-mesh-key-0123456789' }, services: { ollama: { url: ollama.url } }, probes: { servicesIntervalSec: 1 }, discovery: { mdns: { enabled: false } } } });
  await eventually(async () => {
    const p = (await (await fetch(`${agent.url}/api/v1/placement`)).json()) as { kinds: { ollama: { elected: string | null } } };
    return p.kinds.ollama.elected === agent.agent.nodeId() ? true : undefined;
  });
});

afterAll(async () => {
  await agent?.stop();
  await ollama?.stop();
});

interface RawAnswer {
  head: string;
  /** Body bytes the client managed to send before the agent answered or closed. */
  sentBytes: number;
  closed: boolean;
}

/**
 * Sends a request head, then body bytes as fast as the socket takes them (up to `maxBytes`) until
 * the agent answers; resolves once the agent closed the connection or the send budget is spent.
 */
function pushBody(port: number, head: string, chunk: Buffer, maxBytes: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answer = '';
    let sentBytes = 0;
    let answered = false;
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      pump();
    });
    const pump = (): void => {
      while (!answered && !socket.destroyed && sentBytes < maxBytes) {
        sentBytes += chunk.length;
        if (!socket.write(chunk)) return;
      }
      if (sentBytes >= maxBytes && !answered) socket.end();
    };
    socket.on('drain', pump);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      answered = true;
    });
    socket.on('error', () => undefined); // EPIPE/ECONNRESET once the agent closes: 'close' decides
    socket.on('close', () => (answer ? resolve({ head: answer, sentBytes, closed: true }) : reject(new Error(`closed without an answer after ${sentBytes} bytes`))));
  });
}

const CHUNK = 64 * 1024;
const chunked = Buffer.from(`${CHUNK.toString(16)}\r\n${'x'.repeat(CHUNK)}\r\n`);

describe('body limits', () => {
  it('an endless chunked body to /api/v1/login gets 413 after at most a few MB, and the connection is closed', async () => {
    const r = await pushBody(agent.agent.port(), 'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', chunked, 200 * 1024 * 1024);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.head).toContain('"code":"body_too_large"');
    // 1 MiB limit, plus what sat in socket buffers and what @hono/node-server drains (≤ 64 MB).
    expect(r.sentBytes).toBeLessThan(16 * 1024 * 1024 + 64 * 1024 * 1024);
  });

  it('a declared oversize Content-Length on the API is refused from the header', async () => {
    const r = await pushBody(agent.agent.port(), 'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n', Buffer.alloc(CHUNK), 256 * 1024 * 1024);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('Content-Length: 2147483648 on /ollama/api/chat gets 413 in Ollama\'s shape every time, and the connection is closed', async () => {
    // Several in a row: an abrupt close lost about one answer in two to the reset (linger.ts).
    for (let i = 0; i < 4; i++) {
      const r = await pushBody(agent.agent.port(), 'POST /ollama/api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n', Buffer.alloc(CHUNK), 256 * 1024 * 1024);
      expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
      expect(r.head).toContain('{"error":"request body larger than 67108864 bytes"}');
      // Refused from the header: the agent closed long before the budget was sent.
      expect(r.sentBytes).toBeLessThan(256 * 1024 * 1024);
    }
    expect(ollama.calls.some((c) => c.path === '/api/chat')).toBe(false);
  });

  it('an endless chunked body to /immich-ml/predict gets 413 once past proxy.maxBodyMb', async () => {
    const r = await pushBody(agent.agent.port(), 'POST /immich-ml/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n', chunked, 512 * 1024 * 1024);
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.sentBytes).toBeLessThan(256 * 1024 * 1024);
  });
});

describe('keep-alive', () => {
  it('every answer offers the connection for 75 s (Node would say 5)', async () => {
    const api = await fetch(`${agent.url}/api/v1/health`);
    expect(api.headers.get('keep-alive')).toBe('timeout=75');
    const routed = await fetch(`${agent.url}/ollama/api/tags`);
    expect(routed.headers.get('keep-alive')).toBe('timeout=75');
  });
});

describe('model management through /ollama/', () => {
  const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${agent.url}/ollama${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it.each([
    ['DELETE', '/api/delete', { model: 'old-model' }],
    ['POST', '/api/pull', { model: 'llama3.1:8b' }],
    ['POST', '/api/push', { model: 'old-model' }],
    ['POST', '/api/create', { model: 'mine', from: 'old-model' }],
    ['POST', '/api/copy', { source: 'old-model', destination: 'copy' }],
    ['POST', '/api/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000', {}],
    ['DELETE', '/api/%64elete', { model: 'old-model' }],
    ['DELETE', '/v1/../api/delete', { model: 'old-model' }],
  ])('%s %s without the admin credential → 401 in Ollama\'s shape, never forwarded', async (method, path, body) => {
    ollama.clearCalls();
    const res = await send(method, path, body);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as { error: string }).error).toMatch(/needs the admin credential/);
    // The agent's own probe GETs the fake every second; nothing else may have reached it.
    expect(ollama.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('a wrong credential → 403; the model is still there', async () => {
    const res = await send('DELETE', '/api/delete', { model: 'old-model' }, { authorization: 'Bearer not-the-token' });
    expect(res.status).toBe(403);
    const tags = (await (await fetch(`${agent.url}/ollama/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toContain('old-model:latest');
  });

  it('inference needs no credential; the admin token deletes a model', async () => {
    const chat = await send('POST', '/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: false });
    expect(chat.status).toBe(200);
    const res = await send('DELETE', '/api/delete', { model: 'old-model' }, await agent.admin());
    expect(res.status).toBe(200);
    const tags = (await (await fetch(`${agent.url}/ollama/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).not.toContain('old-model:latest');
  });
});
