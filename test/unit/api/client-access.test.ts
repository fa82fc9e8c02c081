/**
 * One access policy for everything the app serves (issue 11): a client outside `proxy.allowedCidrs`
 * gets 403 with the reason on reads, the UI, /metrics, SSE and login; the signed peer protocol is
 * exempt; loopback is always let in. In process, with the socket address @hono/node-server would
 * pass (read by getConnInfo).
 */
import { webRoutes } from '../../../web/routes.js';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../../api/app.js';
import { createAccessPolicy } from '../../../api/proxy/access.js';
import { createRequestVerifier } from '../../../discovery/peer-auth.js';
import { createProxyStats } from '../../../api/proxy/stats.js';
import { systemClock } from '../../../agent/kernel/clock.js';
import { captureLog } from '../../helpers/capture-log.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const unused = (): never => {
  throw new Error('unused');
};

function app(allowedCidrs: string[]) {
  const { log, lines } = captureLog();
  const peerVerifier = createRequestVerifier({ key: 'a-mesh-key-for-this-test-0123456789', selfId: () => 'n'.repeat(32), nowMs: () => 0 });
  const deps: AppDeps = {
    log,
    advert: () => sampleAdvert(),
    nodes: () => [],
    staticPeers: unused,
    peer: { key: () => 'a-mesh-key-for-this-test-0123456789', verifier: () => peerVerifier, settings: { view: unused, save: unused, acceptRemote: () => false }, nowMs: () => 0, nodeId: () => 'n', seq: () => 0, leaving: () => false },
    stats: () => createProxyStats({ nowMs: () => 0 }),
    events: { clock: systemClock, initial: () => [], subscribe: () => () => undefined },
    admin: { token: () => 'the-admin-token', nowMs: () => 0 },
    ui: webRoutes({ selfName: () => 'hub', nodes: () => [], placement: () => null, history: () => [], recentRequests: () => [], nowMs: () => 0, displayZone: 'UTC' }),
    settings: { view: unused, save: unused, test: unused, reset: unused, remote: { view: unused, save: unused } },
    placement: new Proxy({} as AppDeps['placement'], { get: () => () => null }),
    bench: { run: unused },
    access: () => createAccessPolicy({ allowedCidrs, apiKey: 'a-proxy-key-not-for-the-api' }),
  };
  return { app: createApp(deps), lines };
}

const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

const READS = ['/api/v1/nodes', '/api/v1/node', '/api/v1/placement', '/api/v1/health', '/api/v1/stats', '/metrics', '/', '/timeline', '/activity', '/setup', '/api/v1/session', '/api/v1/openapi.json'];

describe('client access for the API and UI', () => {
  const { app: served, lines } = app(['192.168.1.0/24']);

  it.each(READS)('GET %s from 198.51.100.7 → 403 with the reason', async (path) => {
    const res = await served.request(path, {}, from('198.51.100.7'));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        code: 'forbidden_network',
        message: "198.51.100.7 is not in the allowed networks (proxy.allowedCidrs); add it to the agent's configuration to let this client in",
      },
    });
  });

  it('the SSE stream and login are refused too (login never reads the body)', async () => {
    expect((await served.request('/api/v1/events', {}, from('198.51.100.7'))).status).toBe(403);
    const login = await served.request('/api/v1/login', { method: 'POST', body: 'not json at all' }, from('::ffff:198.51.100.7'));
    expect(login.status).toBe(403);
  });

  it.each(['192.168.1.20', '::ffff:192.168.1.20', '127.0.0.1', '::1'])('GET /api/v1/node from %s → 200 (allowed, loopback always)', async (address) => {
    expect((await served.request('/api/v1/node', {}, from(address))).status).toBe(200);
  });

  it("the proxy's API key is not asked of API and UI clients", async () => {
    expect((await served.request('/', {}, from('192.168.1.20'))).status).toBe(200);
  });

  it('a request without a socket address is refused: unknown is not allowed', async () => {
    expect((await served.request('/api/v1/node')).status).toBe(403);
  });

  it('the peer protocol is exempt: its own mesh-key check answers (401), not the network policy', async () => {
    const res = await served.request('/api/v1/peer/ping', {}, from('198.51.100.7'));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('peer_auth_failed');
  });

  it.each(['/api/v1/peer/../nodes', '/api/v1/peer/%2e%2e/nodes', '/api/v1/peer%2F..%2Fnodes', '/API/V1/PEER/ping'])(
    'the exemption cannot be borrowed: %s → 403 or a refusal, never the nodes',
    async (path) => {
      const res = await served.request(`http://hub${path}`, {}, from('198.51.100.7'));
      expect(res.status === 403 || res.status === 404).toBe(true);
      expect(await res.text()).not.toContain('"nodes"');
    },
  );

  it('a scanner is logged once per address, not once per request', async () => {
    const before = lines.filter((l) => l.includes('refused a client outside')).length;
    for (let i = 0; i < 5; i++) await served.request('/api/v1/nodes', {}, from('203.0.113.9'));
    expect(lines.filter((l) => l.includes('refused a client outside')).length - before).toBe(1);
  });
});

describe('API body limit', () => {
  const { app: served } = app(['127.0.0.0/8']);

  it('a JSON body over 1 MiB → 413 with a code; one under it reaches the route', async () => {
    const big = JSON.stringify({ token: 'x'.repeat(1024 * 1024) });
    const res = await served.request('/api/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }, from('127.0.0.1'));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    const small = await served.request('/api/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'wrong' }) }, from('127.0.0.1'));
    expect(small.status).toBe(403); // the route ran: wrong token
  });

  it('a streamed body is cut off at the limit', async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const res = await served.request('/api/v1/login', { method: 'POST', body: stream, duplex: 'half' } as RequestInit, from('127.0.0.1'));
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(4 * 1024 * 1024);
  });
});
