/**
 * Peer authentication: each side proves it holds the mesh key without the key crossing the wire.
 *
 * A request carries an HMAC-SHA256 (RFC 2104) over a canonical string of what matters in it
 * (method, path and query, time, a fresh nonce, the sender's node id, a SHA-256 of the body), in the
 * spirit of AWS SigV4 and the HTTP Message Signatures draft (RFC 9421), kept small for one shared
 * key. The receiver rejects stale times and nonces it has already seen, so a captured request cannot
 * be replayed. The answer is signed over the request's nonce, so the client learns the server is a
 * member too (mutual proof), and a recorded answer cannot be passed off for a later request.
 *
 * What this does not give: confidentiality (peer traffic is plain HTTP on a LAN or inside
 * Tailscale's WireGuard tunnel) or protection of headers outside the canonical string.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Header names (lower case: HTTP field names are case-insensitive, RFC 9110 §5.1, and Node and
 * fetch report them lower-cased). A signed response carries its signature in `x-im-signature` too;
 * the `v1-response` prefix of its canonical string keeps it from ever verifying as a request.
 */
export const AUTH_HEADERS = {
  node: 'x-im-node',
  time: 'x-im-time',
  nonce: 'x-im-nonce',
  signature: 'x-im-signature',
} as const;

export const DEFAULT_MAX_SKEW_MS = 30_000;
export const DEFAULT_MAX_NONCES = 10_000;

const NODE_ID = /^[0-9a-f]{32}$/;
const NONCE = /^[0-9a-f]{32}$/;
const TIME = /^[0-9]{1,16}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** RFC 9110 §9.1: a method is a token. */
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SIGNATURE_BYTES = 32;

export type Body = string | Uint8Array;

export interface SignRequestOptions {
  key: string;
  /** The sender's node id (32 lowercase hex). */
  nodeId: string;
  method: string;
  /** Path and query exactly as the server will see them, e.g. `/api/v1/node?full=1`. */
  path: string;
  body?: Body | undefined;
  nowMs: number;
  /** 32 lowercase hex; a fresh random one by default. Only tests pass one. */
  nonce?: string | undefined;
}

/**
 * The headers that authenticate one request. Sign the exact bytes you send: a body re-serialised
 * after signing no longer verifies.
 *
 * @throws TypeError on a malformed node id, nonce, method or path (a bug in the caller, not input).
 */
export function signRequest(opts: SignRequestOptions): Record<string, string> {
  const nonce = opts.nonce ?? randomBytes(16).toString('hex');
  if (!NODE_ID.test(opts.nodeId)) throw new TypeError('signRequest: nodeId must be 32 lowercase hex digits');
  if (!NONCE.test(nonce)) throw new TypeError('signRequest: nonce must be 32 lowercase hex digits');
  if (!METHOD.test(opts.method)) throw new TypeError(`signRequest: invalid method ${JSON.stringify(opts.method)}`);
  // A line break would let one field pose as the next in the canonical string.
  if (!opts.path.startsWith('/') || /[\r\n]/.test(opts.path)) throw new TypeError('signRequest: path must start with / and hold no line breaks');
  const time = String(Math.floor(opts.nowMs));
  const signature = hmacHex(opts.key, requestCanonical(opts.method, opts.path, time, nonce, opts.nodeId, opts.body));
  return {
    [AUTH_HEADERS.node]: opts.nodeId,
    [AUTH_HEADERS.time]: time,
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: signature,
  };
}

export interface VerifiableRequest {
  method: string;
  /** Path and query as received (Hono: `new URL(c.req.url)` → `pathname + search`). */
  path: string;
  headers: Headers | Record<string, string | undefined>;
  body?: Body | undefined;
}

export type VerifyResult = { ok: true; nodeId: string; nonce: string } | { ok: false; reason: string };

export interface RequestVerifierOptions {
  key: string;
  nowMs: () => number;
  /** How far the sender's clock may be from ours, either way. Default 30 s. */
  maxSkewMs?: number | undefined;
  /** How many nonces the replay window may hold. Default 10 000. */
  maxNonces?: number | undefined;
}

export interface RequestVerifier {
  verify(req: VerifiableRequest): VerifyResult;
  /** Nonces remembered right now (for status output and tests). */
  nonceCount(): number;
}

/**
 * A verifier with its own replay cache. One per agent: the cache must see every request.
 *
 * Replay protection (the classic timestamp + nonce scheme, cf. RFC 4120 §3.2.3's replay cache):
 * a request is accepted only if its time is within ±maxSkewMs of ours and its nonce is unseen.
 * A nonce is remembered until its time falls below `now - maxSkewMs`; from then on the skew check
 * alone refuses it, so forgetting it reopens nothing. Pruning happens lazily inside `verify` (no
 * timers, DESIGN.md §6.4), cheapest-first from a min-heap ordered by request time.
 */
export function createRequestVerifier(opts: RequestVerifierOptions): RequestVerifier {
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const maxNonces = opts.maxNonces ?? DEFAULT_MAX_NONCES;
  const seen = new NonceWindow();

  return {
    nonceCount: () => seen.size,
    verify(req) {
      const nodeId = header(req.headers, AUTH_HEADERS.node);
      const time = header(req.headers, AUTH_HEADERS.time);
      const nonce = header(req.headers, AUTH_HEADERS.nonce);
      const signature = header(req.headers, AUTH_HEADERS.signature);
      if (!nodeId || !time || !nonce || !signature) return { ok: false, reason: 'missing authentication headers' };
      if (!NODE_ID.test(nodeId) || !TIME.test(time) || !NONCE.test(nonce) || !HEX.test(signature) || !METHOD.test(req.method)) {
        return { ok: false, reason: 'malformed headers' };
      }

      const now = opts.nowMs();
      const skewMs = Number(time) - now;
      if (Math.abs(skewMs) > maxSkewMs) {
        // Signed: positive means the sender's clock is ahead of ours. Tells the user which box to fix.
        const seconds = (skewMs / 1000).toFixed(1);
        return { ok: false, reason: `clock skew too large (${skewMs > 0 ? '+' : ''}${seconds} s)` };
      }

      // Authenticate before touching the cache, so only key holders can fill it.
      const expected = hmac(opts.key, requestCanonical(req.method, req.path, time, nonce, nodeId, req.body));
      if (!hexEquals(signature, expected)) return { ok: false, reason: 'bad signature' };

      seen.pruneBefore(now - maxSkewMs);
      if (seen.has(nonce)) return { ok: false, reason: 'replayed request' };
      // When the window is full we refuse rather than forget the oldest nonce: forgetting would let
      // a captured request still inside the window be replayed (fail open), while refusing only slows
      // a burst from a peer that holds the key (fail closed; callers retry). 10 000 nonces per 60 s
      // window is far beyond a home lab's peer traffic, and bounds memory to a few MB.
      if (seen.size >= maxNonces) return { ok: false, reason: 'too many requests in the replay window' };
      seen.add(nonce, Number(time));
      return { ok: true, nodeId, nonce };
    },
  };
}

export interface SignResponseOptions {
  key: string;
  /** The `x-im-nonce` of the request being answered. */
  requestNonce: string;
  status: number;
  body: Body;
}

/**
 * The server's proof that it holds the key: an HMAC over the request's nonce, the status and the
 * body. Bound to the nonce, so it answers this request only. Meant for small buffered answers
 * (adverts, status), not for proxied streams.
 */
export function signResponse(opts: SignResponseOptions): string {
  return hmacHex(opts.key, responseCanonical(opts.requestNonce, opts.status, opts.body));
}

/** True when `signature` (the response's `x-im-signature`, or null when absent) is right. */
export function verifyResponse(opts: SignResponseOptions & { signature: string | null }): boolean {
  if (opts.signature === null || !HEX.test(opts.signature)) return false;
  return hexEquals(opts.signature, hmac(opts.key, responseCanonical(opts.requestNonce, opts.status, opts.body)));
}

/** One field per line; every field is validated to hold no line break, so the split is unambiguous. */
function requestCanonical(method: string, path: string, time: string, nonce: string, nodeId: string, body: Body | undefined): string {
  return ['v1', method.toUpperCase(), path, time, nonce, nodeId, sha256Hex(body)].join('\n');
}

function responseCanonical(nonce: string, status: number, body: Body): string {
  return ['v1-response', nonce, String(status), sha256Hex(body)].join('\n');
}

function sha256Hex(body: Body | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

function hmac(key: string, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

function hmacHex(key: string, message: string): string {
  return hmac(key, message).toString('hex');
}

/**
 * Constant-time comparison of a hex signature with the expected bytes. timingSafeEqual throws on
 * different lengths, and the length of a wrong-length guess is no secret, so it is checked first.
 */
function hexEquals(signatureHex: string, expected: Buffer): boolean {
  const given = Buffer.from(signatureHex, 'hex');
  return given.length === SIGNATURE_BYTES && given.length === expected.length && timingSafeEqual(given, expected);
}

/** A header from fetch `Headers` or a plain object (Node lower-cases names; be lenient about case). */
function header(headers: Headers | Record<string, string | undefined>, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Seen nonces with their request times: a Map for lookups, a binary min-heap for pruning in time order. */
class NonceWindow {
  private readonly times = new Map<string, number>();
  private readonly heap: { timeMs: number; nonce: string }[] = [];

  get size(): number {
    return this.times.size;
  }

  has(nonce: string): boolean {
    return this.times.has(nonce);
  }

  add(nonce: string, timeMs: number): void {
    this.times.set(nonce, timeMs);
    const heap = this.heap;
    heap.push({ timeMs, nonce });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const [child, up] = [heap[i], heap[parent]];
      if (!child || !up || up.timeMs <= child.timeMs) break;
      [heap[i], heap[parent]] = [up, child];
      i = parent;
    }
  }

  /** Forgets every nonce whose request time is before `cutoffMs`. */
  pruneBefore(cutoffMs: number): void {
    const heap = this.heap;
    for (let top = heap[0]; top && top.timeMs < cutoffMs; top = heap[0]) {
      this.times.delete(top.nonce);
      const last = heap.pop();
      if (!last || heap.length === 0) continue;
      heap[0] = last;
      let i = 0;
      for (;;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let smallest = i;
        if ((heap[l]?.timeMs ?? Infinity) < (heap[smallest]?.timeMs ?? Infinity)) smallest = l;
        if ((heap[r]?.timeMs ?? Infinity) < (heap[smallest]?.timeMs ?? Infinity)) smallest = r;
        if (smallest === i) break;
        const [a, b] = [heap[i], heap[smallest]];
        if (!a || !b) break;
        [heap[i], heap[smallest]] = [b, a];
        i = smallest;
      }
    }
  }
}
