/**
 * The peer side of a relay (api/proxy/relay-handler.ts): a verified relayed request is a sign of
 * life for discovery. It is handed over off the first-byte path (setImmediate), read from the
 * request while it is there.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/kernel/clock.js';
import { silentLogger } from '../../../agent/kernel/log.js';
import { createRelayHandler } from '../../../api/proxy/relay-handler.js';
import { createProxyStats } from '../../../api/proxy/stats.js';
import type { PeerSighting } from '../../../discovery/discovery.js';
import { HINT_HEADERS } from '../../../discovery/peer-client.js';
import type { RequestVerifier } from '../../../discovery/peer-auth.js';

const SELF = 'aaaabbbbccccddddeeeeffff00001111';
const PEER = '0123456789abcdef0123456789abcdef';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createRelayHandler', () => {
  it('tells discovery of the verified sender, with its address and the port and seq it hints, once per request', async () => {
    const events: string[] = [];
    const sightings: PeerSighting[] = [];
    const service = await listen((req, res) => {
      events.push('service');
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    const verifier: RequestVerifier = { verify: () => ({ ok: true, nodeId: PEER, nonce: '00112233445566778899aabbccddeeff' }), nonceCount: () => 0 };
    const agent = new http.Agent({ keepAlive: false });
    const handle = createRelayHandler({
      verifier: () => verifier,
      relay: { key: () => 'k', selfId: () => SELF, nowMs: systemClock.nowMs },
      selfName: () => 'gaming-pc',
      localUrl: () => service,
      firstByteTimeoutMs: () => 5000,
      maxBodyBytes: 1024,
      agent,
      clock: systemClock,
      stats: createProxyStats({ nowMs: systemClock.nowMs }),
      log: silentLogger,
      sighted: (s) => {
        events.push('sighted');
        sightings.push(s);
      },
    });
    const relay = await listen((req, res) => void handle(req, res, 'ollama', '/api/version'));
    const res = await fetch(`${relay}/api/v1/peer/relay/ollama/api/version`, { headers: { [HINT_HEADERS.port]: '7650', [HINT_HEADERS.seq]: '7' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"ok":true}');
    await new Promise((r) => setImmediate(r));
    expect(events.sort()).toEqual(['service', 'sighted']);
    expect(sightings.map(({ connection, ...s }) => ({ ...s, connection: connection !== undefined }))).toEqual([{ nodeId: PEER, address: '127.0.0.1', port: 7650, seq: 7, connection: true }]);
  });
});
