/**
 * Forwarding with failover (issue 5 §1, §3), on raw node:http for the lowest added latency:
 * the request body (already buffered) goes to each candidate in turn until one answers. Connection
 * refused, no first byte within the timeout, a 5xx, or a "try the next one" answer before anything
 * was sent to the client → the next candidate, transparently. After the first byte nothing is
 * retried: a broken stream ends with an error frame in the stream's own format, never a silent
 * hang. A client that goes away aborts the upstream request.
 */
import type http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { TimeoutError, type Clock } from '../../agent/kernel/clock.js';
import { describeError } from '../../agent/kernel/errors.js';
import type { KindId } from '../../agent/kernel/kinds.js';
import { forwardedHeaders, type HeaderList } from './headers.js';
import { AUTH_HEADERS } from '../../discovery/peer-auth.js';
import type { ProxyRequestEvent } from './stats.js';
import type { Target } from './targets.js';
import { RELAY_RESPONSE_HEADERS, requestUpstream, type RelayCredentials } from './upstream.js';

/** The client's own credentials and our peer-protocol headers stop here. */
const CLIENT_HEADERS_DROPPED: ReadonlySet<string> = new Set(['authorization', 'accept-encoding', 'content-length', ...Object.values(AUTH_HEADERS)]);
/** A rewritten answer's length differs from the upstream's. */
const REWRITTEN_HEADERS_DROPPED: ReadonlySet<string> = new Set([...RELAY_RESPONSE_HEADERS, 'content-length']);

export interface Attempt {
  target: Target;
  /** Upstream path with query, e.g. `/api/chat`. */
  path: string;
  body: Buffer;
  /** Rewrites the answer line by line (model substitution); null = bytes pass through untouched. */
  rewrite: ((line: string) => string) | null;
  /** Extra response headers for this attempt (the model that ran, …). */
  headers: OutgoingHttpHeaders;
}

export interface ForwardOptions {
  req: IncomingMessage;
  res: ServerResponse;
  attempts: readonly Attempt[];
  clock: Clock;
  agent: http.Agent;
  firstByteTimeoutMs: number;
  /** An answer that is not 2xx: should the next candidate get the request instead? */
  retryable: (status: number, body: string) => boolean;
  /** The error frame to end a broken stream with, by response content type (null: just close). */
  errorFrame: (contentType: string, message: string) => string | null;
  onFailover: (target: Target, reason: string) => void;
  /** Signs relayed requests and checks their answers (upstream.ts). */
  relay: RelayCredentials;
  /** Headers added to whatever status is finally sent (the relay's signature of its answer). */
  answerHeaders?: (status: number) => OutgoingHttpHeaders;
  /**
   * Measures an answer as it streams (issue 15, speed-meter.ts): called as each attempt is sent;
   * null = not measured. Sees the upstream's bytes on their way, never holds them.
   */
  meter?: (attempt: Attempt) => AnswerMeter | null;
}

/** One attempt's answer being measured: its bytes as they pass, then its end. */
export interface AnswerMeter {
  push(chunk: Buffer): void;
  /** The whole 2xx answer reached the client (a broken or abandoned one is never ended). */
  end(status: number): void;
}

export interface ForwardResult {
  outcome: 'ok' | 'error' | 'aborted' | 'exhausted';
  status: number;
  target: Target | null;
  failovers: number;
  firstByteMs: number | null;
  /** Why the last candidate failed (exhausted), or the stream broke. */
  reason: string | null;
  /** The last retryable answer, to give to the client when every candidate failed. */
  lastAnswer: { status: number; headers: HeaderList; body: Buffer } | null;
}

type TryResult = { kind: 'response'; upstream: IncomingMessage } | { kind: 'failed'; reason: string };

const MAX_ERROR_BODY_BYTES = 64 * 1024;
const NO_HEADERS: OutgoingHttpHeaders = {};

export async function forwardWithFailover(opts: ForwardOptions): Promise<ForwardResult> {
  const { req, res, clock } = opts;
  const t0 = clock.monotonicMs();
  const clientHeaders = forwardedHeaders(req.rawHeaders, CLIENT_HEADERS_DROPPED);
  const answerHeaders = opts.answerHeaders ?? ((): OutgoingHttpHeaders => NO_HEADERS);
  let clientGone = false;
  let current: http.ClientRequest | null = null;
  const onClose = (): void => {
    if (res.writableFinished) return;
    clientGone = true;
    current?.destroy(new Error('client went away'));
  };
  res.on('close', onClose);
  let failovers = 0;
  let lastAnswer: ForwardResult['lastAnswer'] = null;
  let reason: string | null = null;
  /** The meter of the attempt in flight. */
  let meter: AnswerMeter | null = null;

  const tryOnce = (attempt: Attempt): Promise<TryResult> =>
    new Promise((resolve) => {
      // Made before the request, not after: node:http writes it only once this turn's synchronous
      // work and promise callbacks are done (the socket comes in a next tick), so whatever runs
      // after `end()` delays the upstream's first byte (issue 14). Its clock starts a few µs early.
      meter = opts.meter?.(attempt) ?? null;
      let started: ReturnType<typeof requestUpstream>;
      try {
        started = requestUpstream(attempt.target, { method: req.method ?? 'GET', path: attempt.path, headers: clientHeaders, body: attempt.body, agent: opts.agent, relay: opts.relay });
      } catch (err) {
        resolve({ kind: 'failed', reason: describeError(err) });
        return;
      }
      const upstream = started.request;
      current = upstream;
      const cancel = clock.setTimeout(() => upstream.destroy(new TimeoutError(opts.firstByteTimeoutMs)), opts.firstByteTimeoutMs);
      upstream.once('response', (r) => {
        cancel();
        if (!started.authentic(r)) {
          r.destroy();
          resolve({ kind: 'failed', reason: `the answer was not signed by ${attempt.target.name}'s agent` });
          return;
        }
        resolve({ kind: 'response', upstream: r });
      });
      upstream.once('error', (err) => {
        cancel();
        resolve({ kind: 'failed', reason: upstreamFailure(err) });
      });
      upstream.end(attempt.body);
    });

  for (const attempt of opts.attempts) {
    if (clientGone) break;
    const r = await tryOnce(attempt);
    if (clientGone) {
      if (r.kind === 'response') r.upstream.destroy();
      break;
    }
    if (r.kind === 'failed') {
      reason = `${attempt.target.name}: ${r.reason}`;
      opts.onFailover(attempt.target, r.reason);
      failovers++;
      continue;
    }
    const up = r.upstream;
    const status = up.statusCode ?? 502;
    if (status < 200 || status >= 300) {
      const body = await readSome(up, MAX_ERROR_BODY_BYTES);
      if (opts.retryable(status, body.toString('utf8'))) {
        reason = `${attempt.target.name}: HTTP ${status} ${body.toString('utf8').slice(0, 200)}`;
        lastAnswer = { status, headers: forwardedHeaders(up.rawHeaders, RELAY_RESPONSE_HEADERS), body };
        opts.onFailover(attempt.target, `HTTP ${status}`);
        failovers++;
        continue;
      }
      res.writeHead(status, forwardedHeaders(up.rawHeaders, RELAY_RESPONSE_HEADERS, [attempt.headers, answerHeaders(status), { 'content-length': body.length }]));
      res.end(body);
      return done('ok', status, attempt.target);
    }
    const firstByteMs = clock.monotonicMs() - t0;
    const result = await relay(up, attempt, status);
    return { ...result, firstByteMs };
  }
  res.off('close', onClose);
  return { outcome: clientGone ? 'aborted' : 'exhausted', status: 0, target: null, failovers, firstByteMs: null, reason, lastAnswer };

  function done(outcome: ForwardResult['outcome'], status: number, target: Target | null): ForwardResult {
    res.off('close', onClose);
    return { outcome, status, target, failovers, firstByteMs: clock.monotonicMs() - t0, reason, lastAnswer };
  }

  /**
   * Streams the committed answer to the client; ends a broken stream with an error frame. What one
   * read of the upstream socket brought (often many chunked frames: one per token) goes on as one
   * write: a write per frame made writev most of a relaying agent's CPU and cut a relayed stream's
   * throughput (issue 10). The bytes are the same; only the hop-by-hop chunk framing differs.
   */
  function relay(up: IncomingMessage, attempt: Attempt, status: number): Promise<ForwardResult> {
    const contentType = String(up.headers['content-type'] ?? '');
    res.writeHead(status, forwardedHeaders(up.rawHeaders, attempt.rewrite ? REWRITTEN_HEADERS_DROPPED : RELAY_RESPONSE_HEADERS, [attempt.headers, answerHeaders(status)]));
    const streamed = /ndjson|event-stream/.test(contentType);
    const answerMeter = meter;
    return new Promise((resolve) => {
      let pending = '';
      let queued: Buffer[] = [];
      let flushQueued = false;
      /**
       * What arrived since the last write: the upstream's own bytes, and what the client gets
       * (rewritten when the attempt asks for it); null: nothing.
       */
      const take = (): { raw: Buffer; out: Buffer | string } | null => {
        if (queued.length === 0) return null;
        const raw = queued.length === 1 ? (queued[0] as Buffer) : Buffer.concat(queued);
        queued = [];
        if (!attempt.rewrite) return { raw, out: raw };
        const lines = (pending + raw.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        return { raw, out: lines.map((l) => `${attempt.rewrite?.(l) ?? l}\n`).join('') };
      };
      const flush = (): void => {
        flushQueued = false;
        if (res.writableEnded || res.destroyed) return;
        const taken = take();
        // A stream's headers go out now even before its first token, so its client sees the
        // answer begin; a plain answer's headers ride along with its body (one write, not two).
        if (taken === null) {
          if (streamed) res.flushHeaders();
          return;
        }
        if (!res.write(taken.out)) up.pause();
        // After the write, so the client never waits for the meter; it reads the upstream's own
        // bytes (the model that really ran, before any rewrite).
        answerMeter?.push(taken.raw);
      };
      const schedule = (): void => {
        if (flushQueued) return;
        flushQueued = true;
        // Runs once the current socket read has been parsed: all its frames are queued by then.
        process.nextTick(flush);
      };
      res.on('drain', () => up.resume());
      up.on('data', (chunk: Buffer) => {
        queued.push(chunk);
        schedule();
      });
      // After the listener above: body bytes that came with the head are queued before this runs,
      // so the head and the first token leave in one write.
      if (streamed) schedule();
      up.once('end', () => {
        const last = take();
        const tail = attempt.rewrite && pending ? attempt.rewrite(pending) : null;
        if (last !== null && tail !== null) res.write(last.out);
        res.end(tail ?? last?.out ?? undefined);
        if (last !== null) answerMeter?.push(last.raw);
        answerMeter?.end(status);
        resolve(done('ok', status, attempt.target));
      });
      up.once('close', () => {
        if (up.complete || res.writableEnded) return;
        if (clientGone) {
          resolve(done('aborted', status, attempt.target));
          return;
        }
        const message = `${attempt.target.name} stopped answering in the middle of the response`;
        reason = message;
        const arrived = take();
        if (arrived !== null) res.write(arrived.out);
        const frame = opts.errorFrame(contentType, message);
        if (frame !== null) res.end(frame);
        else res.destroy();
        resolve(done('error', status, attempt.target));
      });
      up.on('error', () => undefined); // 'close' above decides; this only keeps the error from being unhandled
    });
  }
}

/** A failed attempt in the words the Overview shows ("elected gaming-pc, unreachable: connection refused"). */
function upstreamFailure(err: unknown): string {
  if (err instanceof TimeoutError) return err.message;
  switch ((err as { code?: unknown }).code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return describeError(err);
  }
}

async function readSome(stream: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total <= maxBytes) chunks.push(chunk);
    }
  } catch {
    // a broken error body: whatever arrived is enough to decide
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a client's request body, refusing one larger than `maxBytes`: at once from a declared
 * Content-Length (nothing is read, issue 11: a declared 2 GB body was read up to the limit first),
 * or as soon as a chunked body passes the limit. After its 413 the caller closes the connection
 * (linger.ts), or Node reads and discards the rest of a declared body on the kept-alive socket.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  // node:http rejects a malformed or duplicated Content-Length with 400 before we see it
  // (llhttp, RFC 9112 §6.3), so a present header is a plain decimal.
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return null;
  // Not `for await`: leaving that loop early destroys the request and with it the socket, and the
  // reset can wipe out the 413 before the client reads it (linger.ts closes gracefully instead).
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      done();
      req.pause();
      resolve(null);
    };
    const onEnd = (): void => {
      done();
      // A small body comes in one piece: used as it is, not copied (issue 14).
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onClose = (): void => {
      done();
      reject(new Error('the client went away before sending the whole body'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/**
 * Every candidate failed before answering: give the client the last real answer (e.g. the
 * model-not-found 404 of the last node), or a 502 with `fallbackBody` when no node answered at all.
 */
export function finishExhausted(res: ServerResponse, result: ForwardResult, fallbackBody: () => string, answerHeaders: (status: number) => OutgoingHttpHeaders = () => ({})): void {
  if (result.outcome !== 'exhausted') return;
  // The body is made only when needed: building it for every request was measurable (issue 14).
  const answer = result.lastAnswer ?? { status: 502, headers: ['content-type', 'application/json; charset=utf-8'], body: Buffer.from(fallbackBody()) };
  res.writeHead(answer.status, forwardedHeaders(answer.headers, undefined, [answerHeaders(answer.status), { 'content-length': answer.body.length }]));
  res.end(answer.body);
}

/** The statistics event of a forwarded request (both routed endpoints record the same fields). */
export function forwardEvent(
  kind: KindId,
  result: ForwardResult,
  res: ServerResponse,
  extra: { totalMs: number; path: string; model: string | null; substitutedModel: string | null },
): ProxyRequestEvent {
  return {
    kind,
    node: result.target?.name ?? '—',
    outcome: result.outcome === 'ok' ? 'ok' : result.outcome === 'aborted' ? 'aborted' : 'error',
    reason: result.outcome === 'ok' ? null : result.outcome === 'aborted' ? 'the client went away' : (result.reason ?? 'no node answered'),
    status: result.status || res.statusCode,
    failovers: result.failovers,
    firstByteMs: result.firstByteMs,
    ...extra,
  };
}
