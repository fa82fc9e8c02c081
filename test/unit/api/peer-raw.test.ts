/**
 * The peer requests served on raw node:http, before Hono (api/routes/peer.ts peerRawListener, issue
 * 17): the ping and the advert, over a real socket with a server that has no Hono app at all, read
 * by the real peer client, which checks the signature over the address dialled.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../agent/kernel/clock.js';
import { AgentError } from '../../../agent/kernel/errors.js';
import type { PeerSighting } from '../../../discovery/discovery.js';
import { createRequestVerifier } from '../../../discovery/peer-auth.js';
import { createPeerClient } from '../../../discovery/peer-client.js';
import { createPeerHttpClient } from '../../../discovery/peer-transport.js';
import type { NodeAdvert } from '../../../discovery/advert.js';
import { peerRawListener } from '../../../api/routes/peer.js';
import { captureLog } from '../../helpers/capture-log.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const KEY = 'peer-raw-test-key-0123456789abcdef';
const SERVER_ID = 'b'.repeat(32);
const CLIENT_ID = 'a'.repeat(32);
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

/** A server with only the raw listener: whatever it does not take gets 404. */
async function serve(advert: () => NodeAdvert, sighted: (s: PeerSighting) => void): Promise<string> {
  const verifier = createRequestVerifier({ key: KEY, selfId: () => SERVER_ID, nowMs: () => Date.now() });
  const listener = peerRawListener({
    key: () => KEY,
    nowMs: () => Date.now(),
    log: captureLog().log,
    nodeId: () => SERVER_ID,
    seq: () => 7,
    leaving: () => false,
    advert,
    verifier: () => verifier,
    sighted,
    settings: { view: () => ({}) as never, save: () => Promise.reject(new Error('unused')), acceptRemote: () => false },
  });
  const server = http.createServer((req, res) => {
    if (listener(req, res)) return;
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client() {
  const connections = createPeerHttpClient({});
  cleanups.push(() => connections.close());
  return createPeerClient({ key: KEY, selfId: CLIENT_ID, transport: connections.send, clock: systemClock, timeoutMs: 2000, hints: { port: () => 7650, seq: () => 3 } });
}

describe('peer requests before Hono', () => {
  it('answers a signed advert request with the advert, signed over the address dialled, and reports the sighting', async () => {
    const sighted = vi.fn<(s: PeerSighting) => void>();
    const advert = sampleAdvert({ nodeId: SERVER_ID, name: 'beta' });
    const url = await serve(() => advert, sighted);
    const answer = await client().fetchAdvert(url);
    expect(answer).toMatchObject({ seq: 7, responderId: SERVER_ID, addr: url.slice('http://'.length) });
    expect(answer.advert.nodeId).toBe(SERVER_ID);
    expect(answer.advert.name).toBe('beta');
    expect(sighted).toHaveBeenCalledWith(expect.objectContaining({ nodeId: CLIENT_ID, port: 7650, seq: 3 }));
    // The ping too.
    expect(await client().ping(url)).toMatchObject({ nodeId: SERVER_ID, seq: 7, leaving: false });
  });

  it('refuses an unsigned advert request with 401, and leaves other paths and methods to the next handler', async () => {
    const url = await serve(() => sampleAdvert(), () => undefined);
    const unsigned = await fetch(`${url}/api/v1/peer/advert`);
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('peer_auth_failed');
    expect((await fetch(`${url}/api/v1/peer/settings`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/peer/advertx`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/peer/advert`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('an advert that cannot be made yet is answered with its error, not a crash', async () => {
    const url = await serve(() => {
      throw new AgentError('not_started', 'the agent is not started yet', { httpStatus: 503 });
    }, () => undefined);
    await expect(client().fetchAdvert(url)).rejects.toMatchObject({ code: 'peer_not_member' }); // unsigned, as the check's own 503 before start
  });
});
