/**
 * Lifecycle and per-request plumbing shared by the fakes: plain `node:http` (so framing is exactly
 * what each fake writes), loopback only, socket tracking so that `stop()` ends at once even with
 * streams or hung requests open, and a call log that notes client disconnects.
 */
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { CallLog } from './call-log.js';

/** What every fake records about a request. */
export interface BaseCall {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Status code once the response head was sent. */
  status?: number;
  /** The response was completely written. */
  finished: boolean;
  /** The client went away before the response was complete (not set when the fake was stopped). */
  aborted: boolean;
  /** Set when the fake itself threw while handling the request (a bug in the fake or the test). */
  fakeError?: string;
}

export interface Exchange<C extends BaseCall> {
  req: IncomingMessage;
  res: ServerResponse;
  call: C;
  body: Buffer;
  /** Aborted when the client disconnects or the fake stops; handlers cancel their timers on it. */
  signal: AbortSignal;
  /** process.hrtime.bigint() when the request arrived (for Ollama's nanosecond metrics). */
  startedNs: bigint;
}

export interface HarnessConfig<C extends BaseCall> {
  name: string;
  host: string;
  port: number;
  /** Idle keep-alive timeout; 0 keeps idle connections open (Go's http.Server default). */
  keepAliveTimeoutMs: number;
  log: CallLog<C>;
  makeCall(base: BaseCall, body: Buffer): C;
  handle(ex: Exchange<C>): void | Promise<void>;
  /** Runs first in stop(): clear the fake's own timers. */
  onStop(): void;
}

export interface HttpHarness {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly url: string;
  readonly port: number;
}

export function createHttpHarness<C extends BaseCall>(config: HarnessConfig<C>): HttpHarness {
  const sockets = new Set<Socket>();
  const active = new Set<AbortController>();
  let boundPort: number | undefined;
  let listening = false;
  let stopping: Promise<void> | undefined;

  const server = http.createServer((req, res) => {
    onRequest(req, res);
  });
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const startedNs = process.hrtime.bigint();
    const controller = new AbortController();
    active.add(controller);
    const rawUrl = req.url ?? '/';
    const base: BaseCall = {
      method: req.method ?? 'GET',
      path: rawUrl.split('?')[0] ?? '/',
      url: rawUrl,
      headers: req.headers,
      finished: false,
      aborted: false,
    };
    let call: C | undefined;

    const settle = (): void => {
      if (call !== undefined && res.headersSent) call.status = res.statusCode;
      config.log.changed();
    };
    res.on('finish', () => {
      if (call !== undefined) call.finished = true;
      active.delete(controller);
      settle();
    });
    res.on('close', () => {
      active.delete(controller);
      if (!res.writableFinished && stopping === undefined) {
        // The client went away, possibly before its body was complete: still record the call.
        call ??= config.log.record(config.makeCall(base, Buffer.concat(chunks)));
        call.aborted = true;
        controller.abort(new Error('client disconnected'));
      }
      settle();
    });

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {
      // The client reset the connection while sending; 'close' on res records it.
    });
    req.on('end', () => {
      if (controller.signal.aborted) return;
      const body = Buffer.concat(chunks);
      call = config.log.record(config.makeCall(base, body));
      const ex: Exchange<C> = { req, res, call, body, signal: controller.signal, startedNs };
      run(ex);
    });
  }

  function run(ex: Exchange<C>): void {
    let result: void | Promise<void>;
    try {
      result = config.handle(ex);
    } catch (err) {
      fail(ex, err);
      return;
    }
    if (result instanceof Promise) result.catch((err: unknown) => fail(ex, err));
  }

  function fail(ex: Exchange<C>, err: unknown): void {
    ex.call.fakeError = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (!ex.res.headersSent) {
      const text = `${config.name}: internal error in the fake: ${String(err)}`;
      ex.res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      ex.res.end(text);
    } else {
      ex.res.destroy();
    }
  }

  async function start(): Promise<void> {
    if (listening) throw new Error(`${config.name} is already started`);
    if (stopping !== undefined) await stopping;
    // A restart reuses the port of the previous run so that clients configured with the URL
    // see "the same server came back" (useful for failover tests).
    const port = boundPort ?? config.port;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, config.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    boundPort = (server.address() as AddressInfo).port;
    listening = true;
  }

  function stop(): Promise<void> {
    if (stopping !== undefined) return stopping;
    if (!listening) return Promise.resolve();
    stopping = (async () => {
      for (const controller of active) controller.abort(new Error(`${config.name} stopped`));
      active.clear();
      config.onStop();
      config.log.close(`${config.name} stopped`);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      listening = false;
    })().finally(() => {
      stopping = undefined;
    });
    return stopping;
  }

  return {
    start,
    stop,
    get port() {
      if (boundPort === undefined) throw new Error(`${config.name} has not been started`);
      return boundPort;
    },
    get url() {
      if (boundPort === undefined) throw new Error(`${config.name} has not been started`);
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `http://${host}:${boundPort}`;
    },
  };
}
