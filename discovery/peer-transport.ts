/**
 * The peer protocol's HTTP transport: node:http over one keep-alive pool. A health check is the
 * mesh's most frequent call, and through fetch (undici) each cost about as much CPU as the rest of
 * the check together (issue 17, bench:scale's profiles). It also says when a kept-alive connection
 * to a peer closed by itself: the kernel closes a crashed agent's sockets at once, so that is the
 * first sign of a crash, long before the next check is due.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export interface PeerHttpRequest {
  method: 'GET' | 'PUT';
  /** `http://host:port` as dialled (an IP: peer-address.ts resolved it). */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** A longer answer is cut off and reported as `tooLarge`. */
  maxBodyBytes: number;
}

export interface PeerHttpAnswer {
  status: number;
  header(name: string): string | null;
  body: Uint8Array;
  /** The answer declared or sent more than `maxBodyBytes`; `body` is then empty. */
  tooLarge: { declaredBytes: number | null } | null;
}

/**
 * Sends one request. Rejects with the socket's error (its `code`: ECONNREFUSED, …) or, once
 * `signal` aborts, with the signal's reason.
 */
export type PeerTransport = (req: PeerHttpRequest) => Promise<PeerHttpAnswer>;

export interface PeerHttpClient {
  send: PeerTransport;
  /** Closes the pooled connections (the agent stops). */
  close(): void;
}

/** Idle connections per peer: a ping and an advert fetch at once is the usual most. */
const MAX_SOCKETS_PER_PEER = 4;

/**
 * @param onConnectionClosed a pooled connection to `origin` closed without us closing it: the peer
 *   went away, restarted, or closed an idle connection (its keep-alive timeout). Worth a check, no more.
 */
export function createPeerHttpClient(opts: { onConnectionClosed?: (origin: string) => void } = {}): PeerHttpClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_PEER, maxFreeSockets: MAX_SOCKETS_PER_PEER });
  const watched = new WeakSet<Socket>();
  let closing = false;

  const watch = (socket: Socket, origin: string): void => {
    if (watched.has(socket)) return;
    watched.add(socket);
    socket.once('close', () => {
      // After the pool has let go of it: a check sent at once could still be handed this socket
      // and fail with "connection reset" instead of the "refused" that shows the peer is gone.
      if (!closing) setImmediate(() => !closing && opts.onConnectionClosed?.(origin));
    });
  };

  /**
   * A GET sent on a pooled connection the peer had just closed fails with a reset before the peer
   * read it: it is sent once more on a new connection, as Node's docs advise (`request.reusedSocket`).
   * That is how a check prompted by a closed connection learns "refused" (the peer is gone) rather
   * than "reset".
   */
  const send: PeerTransport = (r) =>
    once(r).catch((err: unknown) => {
      const code = (err as { code?: unknown }).code;
      if (r.method === 'GET' && !r.signal.aborted && (err as { reusedSocket?: unknown }).reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE')) return once(r);
      throw err;
    });

  const once: PeerTransport = (r) =>
    new Promise((resolve, reject) => {
      const aborted = (): Error => (r.signal.reason instanceof Error ? r.signal.reason : new Error('aborted'));
      if (r.signal.aborted) {
        reject(aborted());
        return;
      }
      const url = new URL(r.path, r.origin);
      const headers: http.OutgoingHttpHeaders = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const req = http.request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method: r.method, path: url.pathname + url.search, headers, agent });
      const onAbort = (): void => {
        req.destroy();
        reject(aborted());
      };
      r.signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => r.signal.removeEventListener('abort', onAbort);
      req.on('socket', (socket) => watch(socket, r.origin));
      req.once('error', (err) => {
        settle();
        reject(Object.assign(err, { reusedSocket: req.reusedSocket }));
      });
      req.once('response', (res) => {
        const declared = Number(res.headers['content-length'] ?? '0');
        const answer = (body: Uint8Array, tooLarge: PeerHttpAnswer['tooLarge']): PeerHttpAnswer => ({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          body,
          tooLarge,
        });
        if (declared > r.maxBodyBytes) {
          settle();
          res.destroy();
          resolve(answer(new Uint8Array(), { declaredBytes: declared }));
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > r.maxBodyBytes) {
            settle();
            res.destroy();
            resolve(answer(new Uint8Array(), { declaredBytes: null }));
            return;
          }
          chunks.push(chunk);
        });
        res.once('end', () => {
          settle();
          resolve(answer(Buffer.concat(chunks), null));
        });
        res.once('error', (err) => {
          settle();
          reject(err);
        });
      });
      req.end(r.body);
    });

  return {
    send,
    close() {
      closing = true;
      agent.destroy();
    },
  };
}
