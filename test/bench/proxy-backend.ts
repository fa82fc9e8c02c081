/**
 * The fake Ollama (test/fakes/fake-ollama.ts, same wire format) as its own process for
 * bench:proxy, so the bench can SIGKILL it under load. Two things the fake CLI (test/fakes/cli.ts)
 * cannot do, and the bench needs:
 *
 * - `--response-tokens N`: every completion is N tokens long (" t0", " t1", …); short requests cut
 *   it with `options.num_predict`, which the fake honours like Ollama (done_reason "length").
 * - No delay between tokens really means none. The fake paces tokens with
 *   `setTimeout(step, 1000 / tokensPerSec)`, so `--tokens-per-sec 0` becomes `setTimeout(step, 0)`,
 *   which Node clamps to 1 ms: every stream would be paced at ≤ 1000 tokens/s by a timer, and a
 *   throughput figure would measure the timer, not the proxy. Here a timer of 0 ms is a
 *   setImmediate instead (one token per event-loop turn; sockets still get their turn in between).
 *   The patch lives in this process only.
 *
 *   node --import tsx test/bench/proxy-backend.ts --models bench:1b --response-tokens 100000
 *
 * - `--also-listen ADDR:PORT` (bench:relay only): the same server also takes connections on a
 *   network-namespace address, so a client on another lab host can call it directly, the baseline
 *   of the relay's figures. The fakes refuse to listen beyond loopback (a safety rule for every other
 *   use), so this does not make the fake listen there: a plain net.Server accepts on that address
 *   and hands each socket to the fake's own http.Server (`'connection'` may be emitted by users to
 *   inject connections, Node's http docs), with no extra hop, and the fake parses and answers it
 *   exactly as it does its loopback connections. Only ever pass an address inside a lab namespace.
 *
 * Listens on 127.0.0.1 (`--port`, default 0 = a free port), prints its URL on stdout, serves until
 * SIGTERM/SIGINT. The call log is cleared every second so a long load does not grow the heap.
 * Spawned with an IPC channel, it takes `{ tokensPerSec: N }` messages to change the token pace.
 */
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { createFakeOllama } from '../fakes/fake-ollama.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    models: { type: 'string', default: 'bench:1b' },
    'response-tokens': { type: 'string', default: '9' },
    'also-listen': { type: 'string' },
  },
});

// The fake's http.Server, caught as it is created (test/fakes/shared/http-harness.ts calls
// http.createServer once per fake), for --also-listen. Restored right after the fake is created.
let fakeServer: http.Server | undefined;
const realCreateServer = http.createServer;
if (values['also-listen'] !== undefined) {
  http.createServer = ((...args: Parameters<typeof http.createServer>) => {
    fakeServer = realCreateServer(...args);
    return fakeServer;
  }) as typeof http.createServer;
}

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const immediates = new WeakSet<object>();
const patchedSetTimeout = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): NodeJS.Timeout | NodeJS.Immediate => {
  if (ms !== undefined && ms > 0) return realSetTimeout(callback, ms, ...args);
  const handle = setImmediate(callback, ...args);
  immediates.add(handle);
  return handle;
};
const patchedClearTimeout = (handle: unknown): void => {
  if (typeof handle === 'object' && handle !== null && immediates.has(handle)) clearImmediate(handle as NodeJS.Immediate);
  else realClearTimeout(handle as NodeJS.Timeout | undefined);
};
globalThis.setTimeout = patchedSetTimeout as unknown as typeof globalThis.setTimeout;
globalThis.clearTimeout = patchedClearTimeout;

const count = Number(values['response-tokens']);
if (!Number.isInteger(count) || count < 1) throw new Error(`--response-tokens must be a positive integer, got ${values['response-tokens']}`);
const fake = createFakeOllama({
  port: Number(values.port),
  models: values.models.split(',').filter((m) => m !== '').map((name) => ({ name })),
  tokensPerSec: 0,
  firstTokenDelayMs: 0,
  responseTokens: Array.from({ length: count }, (_, i) => ` t${i}`),
});
http.createServer = realCreateServer;
await fake.start();
let extra: net.Server | undefined;
const alsoListen = values['also-listen'];
if (alsoListen !== undefined) {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(alsoListen);
  if (!m || fakeServer === undefined) throw new Error(`--also-listen must be IPv4:port, got ${alsoListen}`);
  const server = fakeServer;
  extra = net.createServer((socket) => server.emit('connection', socket));
  await new Promise<void>((resolve) => extra?.listen(Number(m[2]), m[1], resolve));
}
process.stdout.write(`${fake.url}\n`);

let sweeper: NodeJS.Timeout | undefined;
const sweep = (): void => {
  fake.clearCalls();
  sweeper = realSetTimeout(sweep, 1000);
  sweeper.unref();
};
sweep();

const shutdown = (): void => {
  if (sweeper !== undefined) realClearTimeout(sweeper);
  extra?.close();
  fake.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

// With an IPC channel (the bench spawns it so), the token pace can change between phases:
// {tokensPerSec: N} → the fake's setTiming; answered with {ok: true}.
process.on('message', (m: unknown) => {
  const tokensPerSec = (m as { tokensPerSec?: unknown } | null)?.tokensPerSec;
  if (typeof tokensPerSec === 'number' && tokensPerSec >= 0) fake.setTiming({ tokensPerSec });
  process.send?.({ ok: typeof tokensPerSec === 'number' });
});
