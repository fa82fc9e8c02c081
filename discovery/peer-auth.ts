/**
 * Peer authentication: each side proves it holds the mesh key without the key crossing the wire.
 *
 * A request carries an HMAC-SHA256 (RFC 2104) over a canonical string of what matters in it
 * (method, path and query, time, a fresh nonce, the sender's node id, the recipient's node id, the
 * address and port the sender dialled, a SHA-256 of the body), in the spirit of AWS SigV4 and the
 * HTTP Message Signatures draft (RFC 9421), kept small for one shared key. The receiver rejects
 * stale times and nonces it has already seen, so a captured request cannot be replayed; it rejects a
 * request addressed to another node, or dialled at an address that is not the local end of the
 * connection it arrived on, so a request carried by a relay or replayed to another member is refused
 * (issue 10 §3). The answer is signed over the request's nonce, the responder's node id and the
 * address it was reached at, so the client learns that the member it meant answered at exactly the
 * address it dialled (mutual proof), and a recorded answer cannot be passed off for a later request.
 *
 * What this does not give: confidentiality (peer traffic is plain HTTP on a LAN or inside
 * Tailscale's WireGuard tunnel) or protection of headers outside the canonical string.
 */
import crypto, { createHash, createHmac, createSecretKey, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Header names (lower case: HTTP field names are case-insensitive, RFC 9110 §5.1, and Node and
 * fetch report them lower-cased). A signed response carries the responder's id in `x-im-node`, the
 * address it was reached at in `x-im-addr` and its signature in `x-im-signature`; the
 * `v2-response` / `v2-relay` prefixes of its canonical strings keep it from ever verifying as a request.
 */
export const AUTH_HEADERS = {
  node: 'x-im-node',
  time: 'x-im-time',
  nonce: 'x-im-nonce',
  to: 'x-im-to',
  dialled: 'x-im-dialled',
  signature: 'x-im-signature',
  addr: 'x-im-addr',
} as const;

/** The recipient of a first contact, when the sender does not know yet which node answers there. */
export const ANY_RECIPIENT = '*';

export const DEFAULT_MAX_SKEW_MS = 30_000;
export const DEFAULT_MAX_NONCES = 10_000;

const NODE_ID = /^[0-9a-f]{32}$/;
const NONCE = /^[0-9a-f]{32}$/;
const TIME = /^[0-9]{1,16}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** `10.0.0.5:7650` or `[fe80::1]:7650`; nothing that could break the canonical string. */
const HOST_PORT = /^(?:[0-9.]{7,15}|\[[0-9a-f:.]{2,45}\]):[0-9]{1,5}$/;
/** RFC 9110 §9.1: a method is a token. */
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SIGNATURE_BYTES = 32;

export type Body = string | Uint8Array;

export interface SignRequestOptions {
  key: string;
  /** The sender's node id (32 lowercase hex). */
  nodeId: string;
  /** The recipient's node id, or ANY_RECIPIENT on a first contact (only some routes accept it). */
  to: string;
  /** `host:port` the request is sent to (peer-address.ts `hostPort`), the host an IP literal. */
  dialled: string;
  method: string;
  /** Path and query exactly as the server will see them, e.g. `/api/v1/node?full=1`. */
  path: string;
  body?: Body | undefined;
  nowMs: number;
  /** 32 lowercase hex; a fresh random one by default. Only tests pass one. */
  nonce?: string | undefined;
}

const NONCE_BYTES = 16;
/** Random bytes for 256 nonces, refilled when used up (as Node's randomUUID keeps its own cache). */
const noncePool = Buffer.alloc(NONCE_BYTES * 256);
let noncePoolAt = noncePool.length;

/**
 * 128 bits from the CSPRNG as 32 lowercase hex. A `randomBytes(16)` per request was the costliest
 * step of signing one (6–18 µs of ~25, issue 14); one `randomFillSync` per 256 nonces costs 0.2 µs
 * each. Each pool slice is used once, so nonces stay as unpredictable as before.
 */
function freshNonce(): string {
  if (noncePoolAt >= noncePool.length) {
    randomFillSync(noncePool);
    noncePoolAt = 0;
  }
  const nonce = noncePool.toString('hex', noncePoolAt, noncePoolAt + NONCE_BYTES);
  noncePoolAt += NONCE_BYTES;
  return nonce;
}

/**
 * The headers that authenticate one request. Sign the exact bytes you send: a body re-serialised
 * after signing no longer verifies.
 *
 * @throws TypeError on a malformed node id, nonce, method, path or address (a bug in the caller, not input).
 */
export function signRequest(opts: SignRequestOptions): Record<string, string> {
  const nonce = opts.nonce ?? freshNonce();
  if (!NODE_ID.test(opts.nodeId)) throw new TypeError('signRequest: nodeId must be 32 lowercase hex digits');
  if (opts.to !== ANY_RECIPIENT && !NODE_ID.test(opts.to)) throw new TypeError('signRequest: to must be a node id or ANY_RECIPIENT');
  if (!HOST_PORT.test(opts.dialled)) throw new TypeError(`signRequest: dialled must be ip:port, not ${JSON.stringify(opts.dialled)}`);
  if (!NONCE.test(nonce)) throw new TypeError('signRequest: nonce must be 32 lowercase hex digits');
  if (!METHOD.test(opts.method)) throw new TypeError(`signRequest: invalid method ${JSON.stringify(opts.method)}`);
  // A line break would let one field pose as the next in the canonical string.
  if (!opts.path.startsWith('/') || /[\r\n]/.test(opts.path)) throw new TypeError('signRequest: path must start with / and hold no line breaks');
  const time = String(Math.floor(opts.nowMs));
  const signature = hmacHex(opts.key, requestCanonical(opts.method, opts.path, time, nonce, opts.nodeId, opts.to, opts.dialled, opts.body));
  return {
    [AUTH_HEADERS.node]: opts.nodeId,
    [AUTH_HEADERS.time]: time,
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.to]: opts.to,
    [AUTH_HEADERS.dialled]: opts.dialled,
    [AUTH_HEADERS.signature]: signature,
  };
}

export interface VerifiableRequest {
  method: string;
  /** Path and query as received (Hono: `new URL(c.req.url)` → `pathname + search`). */
  path: string;
  headers: Headers | Record<string, string | string[] | undefined>;
  body?: Body | undefined;
  /** The local end of the connection the request arrived on, `hostPort(socket.localAddress, socket.localPort)`. */
  local: string;
}

/** Why a request was refused: `misdirected` answers 421 (RFC 9110 §15.5.20), the others 401. */
export type VerifyFailure =
  | { ok: false; code: 'missing' | 'malformed' | 'signature' | 'replay' | 'full' | 'misdirected'; reason: string }
  | { ok: false; code: 'skew'; reason: string; /** Positive: the sender's clock is ahead of ours. */ skewMs: number };

export type VerifyResult = { ok: true; nodeId: string; nonce: string } | VerifyFailure;

export interface RequestVerifierOptions {
  key: string;
  /** This node's id: requests addressed to another node are refused. */
  selfId: () => string;
  nowMs: () => number;
  /** How far the sender's clock may be from ours, either way. Default 30 s. */
  maxSkewMs?: number | undefined;
  /** How many nonces the replay window may hold. Default 10 000. */
  maxNonces?: number | undefined;
}

export interface RequestVerifier {
  /** `anyRecipient`: accept ANY_RECIPIENT (first contact: ping and advert only). */
  verify(req: VerifiableRequest, opts?: { anyRecipient?: boolean }): VerifyResult;
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
    verify(req, o = {}) {
      const nodeId = header(req.headers, AUTH_HEADERS.node);
      const time = header(req.headers, AUTH_HEADERS.time);
      const nonce = header(req.headers, AUTH_HEADERS.nonce);
      const to = header(req.headers, AUTH_HEADERS.to);
      const dialled = header(req.headers, AUTH_HEADERS.dialled);
      const signature = header(req.headers, AUTH_HEADERS.signature);
      if (!nodeId || !time || !nonce || !to || !dialled || !signature) return { ok: false, code: 'missing', reason: 'missing authentication headers' };
      if (
        !NODE_ID.test(nodeId) ||
        !TIME.test(time) ||
        !NONCE.test(nonce) ||
        (to !== ANY_RECIPIENT && !NODE_ID.test(to)) ||
        !HOST_PORT.test(dialled) ||
        !HEX.test(signature) ||
        !METHOD.test(req.method)
      ) {
        return { ok: false, code: 'malformed', reason: 'malformed headers' };
      }

      const now = opts.nowMs();
      const skewMs = Number(time) - now;
      if (Math.abs(skewMs) > maxSkewMs) {
        // Signed: positive means the sender's clock is ahead of ours. Tells the user which box to fix.
        const seconds = (skewMs / 1000).toFixed(1);
        return { ok: false, code: 'skew', reason: `clock skew too large (${skewMs > 0 ? '+' : ''}${seconds} s)`, skewMs };
      }

      // Authenticate before touching the cache, so only key holders can fill it.
      const expected = hmac(opts.key, requestCanonical(req.method, req.path, time, nonce, nodeId, to, dialled, req.body));
      if (!hexEquals(signature, expected)) return { ok: false, code: 'signature', reason: 'bad signature' };

      // Bound to its recipient and to the address it was sent to (issue 10 §3): a member's request
      // replayed to another member, or carried by a relay posing as a member, stops here.
      if (to === ANY_RECIPIENT ? !o.anyRecipient : to !== opts.selfId()) return { ok: false, code: 'misdirected', reason: 'addressed to another node' };
      if (dialled !== req.local) return { ok: false, code: 'misdirected', reason: `sent to ${dialled}, which is not this agent's address (${req.local})` };

      seen.pruneBefore(now - maxSkewMs);
      if (seen.has(nonce)) return { ok: false, code: 'replay', reason: 'replayed request' };
      // When the window is full we refuse rather than forget the oldest nonce: forgetting would let
      // a captured request still inside the window be replayed (fail open), while refusing only slows
      // a burst from a peer that holds the key (fail closed; callers retry). 10 000 nonces per 60 s
      // window is far beyond a home lab's peer traffic, and bounds memory to a few MB.
      if (seen.size >= maxNonces) return { ok: false, code: 'full', reason: 'too many requests in the replay window' };
      seen.add(nonce, Number(time));
      return { ok: true, nodeId, nonce };
    },
  };
}

export interface SignResponseOptions {
  key: string;
  /** The `x-im-nonce` of the request being answered. */
  requestNonce: string;
  /** The node that answers (sent as `x-im-node`). */
  responderId: string;
  /** The local end of the connection the request arrived on (sent as `x-im-addr`). */
  addr: string;
  status: number;
  body: Body;
}

/**
 * The server's proof that it holds the key and was reached at `addr`: an HMAC over the request's
 * nonce, its node id, that address, the status and the body. Bound to the nonce, so it answers this
 * request only. Meant for small buffered answers (adverts, status).
 */
export function signResponse(opts: SignResponseOptions): string {
  return hmacHex(opts.key, responseCanonical(opts.requestNonce, opts.responderId, opts.addr, opts.status, opts.body));
}

/** True when `signature` (the response's `x-im-signature`, or null when absent) is right. */
export function verifyResponse(opts: SignResponseOptions & { signature: string | null }): boolean {
  if (opts.signature === null || !HEX.test(opts.signature)) return false;
  return hexEquals(opts.signature, hmac(opts.key, responseCanonical(opts.requestNonce, opts.responderId, opts.addr, opts.status, opts.body)));
}

/**
 * The head of a relayed answer (issue 10 §1): the body is a stream passed through byte for byte, so
 * only the nonce, responder, address and status are signed. Enough to know that the member meant
 * answered this request, before the first byte is committed to the client.
 */
export function signRelayResponse(opts: Omit<SignResponseOptions, 'body'>): string {
  return hmacHex(opts.key, relayCanonical(opts.requestNonce, opts.responderId, opts.addr, opts.status));
}

export function verifyRelayResponse(opts: Omit<SignResponseOptions, 'body'> & { signature: string | null }): boolean {
  if (opts.signature === null || !HEX.test(opts.signature)) return false;
  return hexEquals(opts.signature, hmac(opts.key, relayCanonical(opts.requestNonce, opts.responderId, opts.addr, opts.status)));
}

/** One field per line; every field is validated to hold no line break, so the split is unambiguous. */
function requestCanonical(method: string, path: string, time: string, nonce: string, nodeId: string, to: string, dialled: string, body: Body | undefined): string {
  return ['v2', method.toUpperCase(), path, time, nonce, nodeId, to, dialled, sha256Hex(body)].join('\n');
}

function responseCanonical(nonce: string, responderId: string, addr: string, status: number, body: Body): string {
  return ['v2-response', nonce, responderId, addr, String(status), sha256Hex(body)].join('\n');
}

function relayCanonical(nonce: string, responderId: string, addr: string, status: number): string {
  return ['v2-relay', nonce, responderId, addr, String(status)].join('\n');
}

/**
 * Node's one-shot digest (20.12+): 3-4× cheaper than a Hash object for a request body (0.4 against
 * 1.5 µs here), and every signed or verified request hashes one. Older Node 20s lack it.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Body, encoding: 'hex') => string }).hash;

function sha256Hex(body: Body | undefined): string {
  if (oneShotHash) return oneShotHash('sha256', body ?? '', 'hex');
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

function hmac(key: string, message: string): Buffer {
  return createHmac('sha256', keyObject(key)).update(message).digest();
}

/**
 * The mesh key as a KeyObject, made once per key (the same bytes: a string key is its UTF-8). Given
 * the string, createHmac prepares a key from it at every call: measured, a quarter of each HMAC
 * in a process that signs now and then (10 of 45 µs), and a relayed request makes four (issue 10).
 */
let preparedKey: { text: string; key: KeyObject } | null = null;
function keyObject(text: string): KeyObject {
  if (preparedKey?.text !== text) preparedKey = { text, key: createSecretKey(Buffer.from(text, 'utf8')) };
  return preparedKey.key;
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

/**
 * A header from fetch `Headers` or a plain object (Node lower-cases names; be lenient about case).
 * Told apart by their `get` method, not `instanceof Headers`: reading the global `Headers` loads
 * Node's fetch implementation (undici, ~25 ms of CPU and a few MB), which the raw peer requests
 * (node:http's plain objects) otherwise never need (issue 17).
 */
export function header(headers: Headers | Record<string, string | string[] | undefined>, name: string): string | undefined {
  if (isFetchHeaders(headers)) return headers.get(name) ?? undefined;
  const pick = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);
  const direct = headers[name];
  if (direct !== undefined) return pick(direct);
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return pick(v);
  return undefined;
}

/** A node:http header object has no `get` function (a header named "get" is a string). */
function isFetchHeaders(headers: Headers | Record<string, string | string[] | undefined>): headers is Headers {
  return typeof headers.get === 'function';
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
