/**
 * What an agent does not load until it needs it (issue 17: 20 agents starting at once on 2 cores
 * wait for each other's start-up CPU): node:http2 and Node's fetch implementation (undici), ~40 ms
 * together. The HTTP server loads @hono/node-server, whose module loads both (it reads the global
 * Request, Response and Headers), on the first request Hono answers (api/server.ts). Reading the
 * global `fetch` is harmless: Node 20 loads undici when it is first called. Checked in fresh node
 * processes, where nothing else has loaded them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const LOADED = `const loaded = () => process.moduleLoadList.filter((m) => /^NativeModule (http2|internal\\/deps\\/undici\\/undici)$/.test(m)).length;`;
const run = async (script: string): Promise<unknown> => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 20_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
};

const SCRIPT = `
import { createHttpServer } from './api/server.ts';
import { systemClock } from './agent/kernel/clock.ts';
${LOADED}
const noop = () => undefined;
const log = { debug: noop, info: noop, warn: noop, error: noop, once: noop, child: () => log };
const server = createHttpServer({
  fetch: () => new Response('hono'),
  raw: (req, res) => { if (req.url !== '/raw') return false; res.end('raw'); return true; },
  host: '127.0.0.1', port: 0, clock: systemClock, log,
});
await server.start(new AbortController().signal);
const get = (path) => new Promise((resolve, reject) => {
  import('node:http').then(({ get }) => get({ host: '127.0.0.1', port: server.port(), path }, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b)); }).on('error', reject));
});
const out = { atStart: loaded(), raw: await get('/raw'), afterRaw: loaded() };
out.hono = await get('/other');
out.afterHono = loaded();
out.hono2 = await get('/again');
console.log(JSON.stringify(out));
await server.stop();
`;

const PEER_EXCHANGE = `
import http from 'node:http';
import { peerRawListener } from './api/routes/peer.ts';
import { createRequestVerifier } from './discovery/peer-auth.ts';
import { createPeerClient } from './discovery/peer-client.ts';
import { createPeerHttpClient } from './discovery/peer-transport.ts';
import { systemClock } from './agent/kernel/clock.ts';
import { sampleAdvert } from './test/helpers/sample-advert.ts';
${LOADED}
const KEY = 'lazy-modules-test-key-0123456789ab';
const id = 'b'.repeat(32);
const noop = () => undefined;
const log = { debug: noop, info: noop, warn: noop, error: noop, once: noop, child: () => log };
const verifier = createRequestVerifier({ key: KEY, selfId: () => id, nowMs: () => Date.now() });
const listener = peerRawListener({ key: () => KEY, nowMs: () => Date.now(), log, nodeId: () => id, seq: () => 7, leaving: () => false, advert: () => sampleAdvert({ nodeId: id }), verifier: () => verifier, settings: {} });
const server = http.createServer((req, res) => { if (!listener(req, res)) { res.writeHead(404); res.end(); } });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const connections = createPeerHttpClient({});
const client = createPeerClient({ key: KEY, selfId: 'a'.repeat(32), transport: connections.send, clock: systemClock, timeoutMs: 2000 });
const url = 'http://127.0.0.1:' + server.address().port;
const advert = await client.fetchAdvert(url);
const ping = await client.ping(url);
console.log(JSON.stringify({ seq: advert.seq, pingSeq: ping.seq, loaded: loaded() }));
connections.close();
server.closeAllConnections();
server.close();
`;

describe('modules loaded when first needed', () => {
  it('the HTTP server loads neither node:http2 nor undici until Hono answers a first request, and then answers every one', async () => {
    expect(await run(SCRIPT)).toEqual({ atStart: 0, raw: 'raw', afterRaw: 0, hono: 'hono', afterHono: 2, hono2: 'hono' });
  });

  it('a peer exchange (ping and advert served raw, read by the peer client) loads neither', async () => {
    expect(await run(PEER_EXCHANGE)).toEqual({ seq: 7, pingSeq: 7, loaded: 0 });
  });

  it('the composition root (every part of an agent) loads neither', async () => {
    expect(await run(`${LOADED}\nawait import('./agent/agent.ts');\nconsole.log(JSON.stringify(loaded()));`)).toBe(0);
  });
});
