/**
 * The HTTP server as a Service around @hono/node-server. start() listens (port 0 picks a free one);
 * stop() stops accepting, lets in-flight requests finish for a short grace, then closes the rest,
 * so a stuck client cannot hold the agent's shutdown.
 *
 * @hono/node-server is loaded on the first request that Hono answers, not at start: its module
 * loads node:http2 and Node's fetch implementation (undici), about 40 ms of CPU (issue 17: 20
 * agents starting at once on 2 cores wait for each other's) and memory that an agent whose only
 * traffic is peer pings, adverts and routed requests (served raw) never needs.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { getRequestListener } from '@hono/node-server';
import type { Clock } from '../agent/kernel/clock.js';
import { AgentError } from '../agent/kernel/errors.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';

export interface HttpServerOptions {
  name?: string;
  /** The Hono app (omit for a server that only has a raw handler). */
  fetch?: (request: Request) => Response | Promise<Response>;
  /** Handles a request before Hono sees it (the routed endpoints); returns false to pass it on. */
  raw?: (req: IncomingMessage, res: ServerResponse) => boolean;
  host: string;
  port: number;
  clock: Clock;
  log: Logger;
  /** How long in-flight requests may finish after stop() before their sockets are closed. */
  drainMs?: number;
}

/**
 * Idle keep-alive connections stay open 75 s, nginx's `keepalive_timeout` default
 * (ngx_http_core_module), not Node's 5 s: a pooled client that reuses a socket just as the agent
 * closes it gets ECONNRESET (issue 11 measured 1 in 300 streams). Node's docs for
 * `server.headersTimeout` ask for it to be above keepAliveTimeout, or a slow next request on a
 * reused socket is cut off by the header timer first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 75_000;
export const HEADERS_TIMEOUT_MS = 80_000;

/** Every listening socket of the agent gets the same keep-alive timers. */
export function applyKeepAlive(s: Server): void {
  s.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  s.headersTimeout = HEADERS_TIMEOUT_MS;
}

type HonoListener = ReturnType<typeof getRequestListener>;

export interface HttpServer extends Service {
  /** The bound port (after start). */
  port(): number;
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  let server: Server | null = null;
  let boundPort = 0;
  return {
    name: opts.name ?? 'http',
    port: () => boundPort,
    async start(signal) {
      if (signal.aborted || server) return;
      const app = opts.fetch;
      let hono: HonoListener | null = null;
      let loading: Promise<HonoListener> | null = null;
      const loadHono = (fetch: NonNullable<HttpServerOptions['fetch']>): Promise<HonoListener> =>
        (loading ??= import('@hono/node-server').then((m) => (hono = m.getRequestListener(fetch))));
      const s = createServer((req, res) => {
        if (opts.raw?.(req, res)) return;
        // The listener handles its own errors (hono's onError).
        if (hono) void hono(req, res);
        else if (app) {
          loadHono(app).then(
            (listener) => listener(req, res),
            (err: unknown) => {
              opts.log.error('cannot load the HTTP adapter', { error: err instanceof Error ? err.message : String(err) });
              res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
              res.end('500 internal error');
            },
          );
        } else {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('404 page not found');
        }
      });
      // Streams of a slow model can be quiet for minutes: no server-side timeouts on requests.
      s.requestTimeout = 0;
      applyKeepAlive(s);
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void => {
          s.off('listening', onListening);
          reject(
            err.code === 'EADDRINUSE'
              ? new AgentError('port_in_use', `port ${opts.port} on ${opts.host} is already in use; is another agent running? Choose another with --port`, { cause: err })
              : err.code === 'EACCES'
                ? new AgentError('port_denied', `not allowed to listen on port ${opts.port}; ports below 1024 need privileges`, { cause: err })
                : err,
          );
        };
        const onListening = (): void => {
          s.off('error', onError);
          resolve();
        };
        s.once('error', onError);
        s.once('listening', onListening);
        s.listen(opts.port, opts.host);
      });
      server = s;
      boundPort = (s.address() as AddressInfo).port;
      s.on('error', (err) => opts.log.error('http server error', { error: err.message }));
      opts.log.info('listening', { address: opts.host, port: boundPort });
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      const cancel = opts.clock.setTimeout(() => s.closeAllConnections(), opts.drainMs ?? 1000);
      await closed;
      cancel();
    },
  };
}
