/**
 * The peer protocol over real sockets, with hostile and broken peers: another mesh, a forged
 * advert, an oversized or malformed advert, and a peer that never answers. mDNS is off here;
 * peers are static URLs (the multicast-blocked network case).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signResponse, AUTH_HEADERS } from '../../discovery/peer-auth.js';
import type { NodeRecord } from '../../discovery/types.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';
import { sampleAdvert } from '../helpers/sample-advert.js';

const KEY = 'peer-protocol-test-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function agent(name: string, opts: { key?: string; peers?: string[] } = {}): Promise<TestAgent> {
  const a = await startTestAgent({
    config: {
      node: { name },
      mesh: { key: opts.key ?? KEY },
      discovery: { mdns: { enabled: false }, tailnet: { enabled: false }, peers: opts.peers ?? [], peerTimeoutMs: 500, healthIntervalMs: 200 },
    },
  });
  cleanups.push(() => a.stop());
  return a;
}

/** A server that answers the peer protocol with whatever `handler` writes. */
async function rogue(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const nodes = async (a: TestAgent): Promise<NodeRecord[]> => ((await (await fetch(`${a.url}/api/v1/nodes`)).json()) as { nodes: NodeRecord[] }).nodes;
const names = async (a: TestAgent): Promise<string[]> => (await nodes(a)).map((n) => n.name);

/**
 * Signs like a member would (it has the key): answers the advert with `body` and pings with `ping`,
 * as the node `responderId`, at the address it was reached on.
 */
function memberAnswering(body: string, o: { responderId?: string; ping?: () => string | null } = {}) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const nonce = String(req.headers[AUTH_HEADERS.nonce] ?? '');
    const responderId = o.responderId ?? sampleAdvert().nodeId;
    const addr = `127.0.0.1:${req.socket.localPort ?? 0}`;
    const answer = req.url?.startsWith('/api/v1/peer/ping') && o.ping ? o.ping() : body;
    if (answer === null) return; // hanging
    res.writeHead(200, {
      'content-type': 'application/json',
      [AUTH_HEADERS.node]: responderId,
      [AUTH_HEADERS.addr]: addr,
      [AUTH_HEADERS.signature]: signResponse({ key: KEY, requestNonce: nonce, responderId, addr, status: 200, body: answer }),
    });
    res.end(answer);
  };
}

describe('peer protocol', () => {
  it('a static peer of the same mesh is found; requests without the key get 401', async () => {
    const b = await agent('beta');
    const a = await agent('alpha', { peers: [b.url] });
    const beta = await eventually(async () => (await nodes(a)).find((n) => n.name === 'beta' && n.state === 'up'));
    expect(beta.sources).toEqual(['static']);
    const res = await fetch(`${b.url}/api/v1/peer/advert`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'peer_auth_failed', message: 'not a member of this mesh: missing authentication headers' } });
    // The ping is served before Hono (issue 17), with the same refusal.
    const ping = await fetch(`${b.url}/api/v1/peer/ping`);
    expect([ping.status, ping.headers.get('content-type')]).toEqual([401, 'application/json']);
    expect(await ping.json()).toEqual({ error: { code: 'peer_auth_failed', message: 'not a member of this mesh: missing authentication headers' } });
  });

  it('an agent of another mesh is never listed, on either side, and is logged once', async () => {
    const other = await agent('other', { key: 'a-different-mesh-key-0123456789' });
    const a = await agent('alpha', { peers: [other.url] });
    // Wait until alpha has asked (and been refused) a few times.
    await eventually(async () => (a.deps.lines.some((l) => l.includes('not a member of this mesh')) ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(await names(a)).toEqual(['alpha']);
    expect(await names(other)).toEqual(['other']);
    expect(a.deps.lines.filter((l) => l.includes('ignoring an agent that is not a member'))).toHaveLength(1);
  });

  it('a forged advert (no proof of the key) is ignored', async () => {
    const body = JSON.stringify({ seq: 1, advert: sampleAdvert() });
    const url = await rogue((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', [AUTH_HEADERS.signature]: 'f'.repeat(64) });
      res.end(body);
    });
    const a = await agent('alpha', { peers: [url] });
    await eventually(async () => (a.deps.lines.some((l) => l.includes('did not prove it holds the mesh key')) ? true : undefined));
    expect(await names(a)).toEqual(['alpha']);
  });

  it.each([
    ['oversized', () => JSON.stringify({ seq: 1, advert: { ...sampleAdvert(), name: 'x'.repeat(300 * 1024) } }), /too large/],
    ['malformed', () => JSON.stringify({ seq: 1, advert: { ...sampleAdvert(), nodeId: 'not-hex' } }), /malformed answer \(advert\.nodeId/],
    ['not JSON', () => '<html>hello</html>', /not JSON/],
  ])('an %s advert is rejected and logged once', async (_what, body, reason) => {
    const url = await rogue(memberAnswering(body()));
    const a = await agent('alpha', { peers: [url] });
    await eventually(async () => (a.deps.lines.some((l) => l.includes('ignoring a malformed peer advert')) ? true : undefined));
    expect(a.deps.lines.find((l) => l.includes('ignoring a malformed peer advert'))).toMatch(reason);
    expect(await names(a)).toEqual(['alpha']);
  });

  it('a peer that never answers does not delay the others', async () => {
    const hanging = await rogue(() => undefined); // accepts, never answers
    const b = await agent('beta');
    const a = await agent('alpha', { peers: [hanging, b.url] });
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined), 5000);
    expect(await names(a)).toEqual(['alpha', 'beta']);
  });

  it('a hang marks the peer suspect, then down; answers bring it back up', async () => {
    let hang = false;
    const advert = { ...sampleAdvert(), name: 'beta' };
    const ping = (): string | null => (hang ? null : JSON.stringify({ nodeId: advert.nodeId, seq: 1, leaving: false }));
    const beta = await rogue(memberAnswering(JSON.stringify({ seq: 1, advert }), { responderId: advert.nodeId, ping }));
    const a = await agent('alpha', { peers: [beta] });
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined));
    hang = true;
    await eventually(async () => (await nodes(a)).find((n) => n.name === 'beta' && n.state === 'suspect'));
    const down = await eventually(async () => (await nodes(a)).find((n) => n.name === 'beta' && n.state === 'down'));
    expect(down.paths[0]?.lastError).toMatch(/no answer within 500 ms/);
    hang = false;
    await eventually(async () => ((await nodes(a)).some((n) => n.name === 'beta' && n.state === 'up') ? true : undefined));
  });

  it('an HTTP relay in front of a member is never recorded as a path to it (issue 10 §3)', async () => {
    const b = await agent('beta');
    // Forwards every request to beta unchanged, answers included: what a host without the key
    // can do after copying beta's advert.
    const relay = await rogue((req, res) => {
      const upstream = http.request(`${b.url}${req.url ?? '/'}`, { headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end();
    });
    const a = await agent('alpha', { peers: [relay, b.url] });
    const beta = await eventually(async () => (await nodes(a)).find((n) => n.name === 'beta' && n.state === 'up'));
    await eventually(async () => (a.deps.lines.some((l) => l.includes("not the claimed agent's own")) ? true : undefined));
    expect(beta.paths.map((p) => p.url)).toEqual([b.url]);
    expect((await nodes(a)).flatMap((n) => n.paths.map((p) => p.url))).not.toContain(relay);
    expect(b.deps.lines.some((l) => l.includes('refused a peer request') && l.includes('which is not this agent'))).toBe(true);
  });
});
