import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ANY_RECIPIENT,
  AUTH_HEADERS,
  createRequestVerifier,
  signRelayResponse,
  verifyRelayResponse,
  signRequest,
  signResponse,
  verifyResponse,
  type SignRequestOptions,
  type VerifiableRequest,
} from '../../../discovery/peer-auth.js';

const KEY = 'mesh-key-for-unit-tests-0123456789';
const OTHER_KEY = 'another-mesh-key-for-unit-tests-99';
const NODE = '0123456789abcdef0123456789abcdef';
const OTHER_NODE = 'fedcba9876543210fedcba9876543210';
const NONCE = '00112233445566778899aabbccddeeff';
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
/** The receiver: its node id and the address requests reach it on. */
const SELF = 'aaaabbbbccccddddeeeeffff00001111';
const ADDR = '10.0.0.5:7650';
const TO = { to: SELF, dialled: ADDR };

/** A verifier on a clock the test moves by hand. */
function setup(opts: { maxSkewMs?: number; maxNonces?: number } = {}) {
  let now = T0;
  const verifier = createRequestVerifier({ key: KEY, selfId: () => SELF, nowMs: () => now, ...opts });
  return {
    verifier,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

/** A signed request as the server will see it; `sign` overrides what the client signed. */
function signed(sign: Partial<SignRequestOptions> = {}): VerifiableRequest & { headers: Record<string, string> } {
  const opts: SignRequestOptions = { key: KEY, nodeId: NODE, ...TO, method: 'POST', path: '/api/v1/peer/advert?full=1', body: '{"a":1}', nowMs: T0, ...sign };
  return { method: opts.method, path: opts.path, body: opts.body, headers: signRequest(opts), local: ADDR };
}

describe('signRequest', () => {
  it('sets the six headers: node id, ms time, a fresh 16-byte hex nonce, recipient, address dialled, a hex HMAC-SHA256', () => {
    const headers = signRequest({ key: KEY, nodeId: NODE, ...TO, method: 'GET', path: '/x', nowMs: T0 });
    expect(Object.keys(headers).sort()).toEqual(['x-im-dialled', 'x-im-node', 'x-im-nonce', 'x-im-signature', 'x-im-time', 'x-im-to']);
    expect(headers[AUTH_HEADERS.to]).toBe(SELF);
    expect(headers[AUTH_HEADERS.dialled]).toBe(ADDR);
    expect(headers[AUTH_HEADERS.node]).toBe(NODE);
    expect(headers[AUTH_HEADERS.time]).toBe(String(T0));
    expect(headers[AUTH_HEADERS.nonce]).toMatch(/^[0-9a-f]{32}$/);
    expect(headers[AUTH_HEADERS.signature]).toMatch(/^[0-9a-f]{64}$/);
    const again = signRequest({ key: KEY, nodeId: NODE, ...TO, method: 'GET', path: '/x', nowMs: T0 });
    expect(again[AUTH_HEADERS.nonce]).not.toBe(headers[AUTH_HEADERS.nonce]);
  });

  it('never repeats a nonce, also across refills of its random pool (256 a fill)', () => {
    const nonces = Array.from({ length: 1000 }, () => signRequest({ key: KEY, nodeId: NODE, ...TO, method: 'GET', path: '/x', nowMs: T0 })[AUTH_HEADERS.nonce]);
    for (const n of nonces) expect(n).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('signs the documented canonical string (pinned wire format) and never sends the key', () => {
    const body = '{"hello":"wörld"}';
    const headers = signRequest({ key: KEY, nodeId: NODE, ...TO, method: 'post', path: '/a/b?c=d', body, nowMs: T0 + 0.7, nonce: NONCE });
    const bodyHash = createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex');
    const canonical = `v2\nPOST\n/a/b?c=d\n${T0}\n${NONCE}\n${NODE}\n${SELF}\n${ADDR}\n${bodyHash}`;
    expect(headers[AUTH_HEADERS.time]).toBe(String(T0));
    expect(headers[AUTH_HEADERS.signature]).toBe(createHmac('sha256', KEY).update(canonical).digest('hex'));
    expect(JSON.stringify(headers)).not.toContain(KEY);
  });

  it('signs with whichever key it is given, one after another (the key is prepared once per key), a non-ASCII one as its UTF-8 bytes', () => {
    const sig = (key: string): string | undefined => signRequest({ key, nodeId: NODE, ...TO, method: 'GET', path: '/x', nowMs: T0, nonce: NONCE })[AUTH_HEADERS.signature];
    const canonical = `v2\nGET\n/x\n${T0}\n${NONCE}\n${NODE}\n${SELF}\n${ADDR}\n${createHash('sha256').update('').digest('hex')}`;
    for (const key of [KEY, 'another-mesh-key-ünïcode-0123456789', KEY]) expect(sig(key)).toBe(createHmac('sha256', key).update(canonical).digest('hex'));
  });

  it('hashes a missing body as the empty body, and a string as its UTF-8 bytes', () => {
    const base = { key: KEY, nodeId: NODE, ...TO, method: 'GET', path: '/x', nowMs: T0, nonce: NONCE };
    expect(signRequest(base)).toEqual(signRequest({ ...base, body: '' }));
    expect(signRequest({ ...base, body: 'ü' })).toEqual(signRequest({ ...base, body: new Uint8Array([0xc3, 0xbc]) }));
  });

  it.each([
    ['a node id that is not 32 lowercase hex', { nodeId: 'node-1' }],
    ['a malformed nonce', { nonce: 'xyz' }],
    ['a method that is not a token', { method: 'GET X' }],
    ['a path with a line break', { path: '/x\nPOST' }],
    ['a relative path', { path: 'x' }],
    ['a recipient that is not a node id', { to: 'gaming-pc' }],
    ['an address that is a host name', { dialled: 'gaming-pc:7650' }],
    ['an address without a port', { dialled: '10.0.0.5' }],
    ['an address with a line break', { dialled: '10.0.0.5:7650\nx' }],
  ])('throws on %s (a caller bug)', (_what, bad) => {
    expect(() => signRequest({ key: KEY, nodeId: NODE, ...TO, method: 'GET', path: '/x', nowMs: T0, ...bad })).toThrow(TypeError);
  });
});

describe('createRequestVerifier', () => {
  it('accepts a signed request and returns the sender and nonce', () => {
    const { verifier } = setup();
    const req = signed({ nonce: NONCE });
    expect(verifier.verify(req)).toEqual({ ok: true, nodeId: NODE, nonce: NONCE });
  });

  it('refuses a request addressed to another node, even though the signature is right (cross-host replay)', () => {
    const { verifier } = setup();
    const req = signed({ to: OTHER_NODE });
    expect(verifier.verify(req)).toMatchObject({ ok: false, code: 'misdirected', reason: 'addressed to another node' });
    expect(verifier.nonceCount()).toBe(0);
  });

  it('refuses a request dialled at another address than the one it arrived on (a relay in between)', () => {
    const { verifier } = setup();
    const req = signed({ dialled: '10.0.0.13:7650' });
    expect(verifier.verify(req)).toMatchObject({ ok: false, code: 'misdirected', reason: "sent to 10.0.0.13:7650, which is not this agent's address (10.0.0.5:7650)" });
    const samePortOtherHost = signed({ dialled: '10.0.0.5:7651' });
    expect(verifier.verify(samePortOtherHost)).toMatchObject({ ok: false, code: 'misdirected' });
  });

  it('takes a first contact (any recipient) only where the route allows it', () => {
    const { verifier } = setup();
    expect(verifier.verify(signed({ to: ANY_RECIPIENT }))).toMatchObject({ ok: false, code: 'misdirected' });
    expect(verifier.verify(signed({ to: ANY_RECIPIENT }), { anyRecipient: true }).ok).toBe(true);
  });

  it.each([
    ['recipient', AUTH_HEADERS.to, OTHER_NODE],
    ['address dialled', AUTH_HEADERS.dialled, '10.0.0.6:7650'],
  ])('refuses a request whose %s header was changed in transit: bad signature', (_what, name, value) => {
    const { verifier } = setup();
    const req = signed();
    expect(verifier.verify({ ...req, headers: { ...req.headers, [name]: value } })).toMatchObject({ ok: false, code: 'signature' });
  });

  it('reads fetch Headers, and plain objects with any header case', () => {
    const { verifier } = setup();
    const a = signed();
    expect(verifier.verify({ ...a, headers: new Headers(a.headers) }).ok).toBe(true);
    const b = signed();
    const upper = Object.fromEntries(Object.entries(b.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifier.verify({ ...b, headers: upper }).ok).toBe(true);
  });

  it('treats the method case-insensitively and a string body like its bytes', () => {
    const { verifier } = setup();
    const req = signed({ method: 'post', body: 'héllo' });
    expect(verifier.verify({ ...req, method: 'POST', body: new TextEncoder().encode('héllo') }).ok).toBe(true);
  });

  it.each([
    ['method', { method: 'PUT' }],
    ['path', { path: '/api/v1/peer/advert' }],
    ['query', { path: '/api/v1/peer/advert?full=2' }],
    ['body', { body: '{"a":2}' }],
    ['body (dropped)', { body: undefined }],
  ])('refuses a tampered %s: bad signature', (_what, change) => {
    const { verifier } = setup();
    expect(verifier.verify({ ...signed(), ...change })).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it.each([
    ['node id', AUTH_HEADERS.node, OTHER_NODE],
    ['time (1 ms, inside the window)', AUTH_HEADERS.time, String(T0 + 1)],
    ['nonce', AUTH_HEADERS.nonce, NONCE],
  ])('refuses a tampered %s header: bad signature', (_what, name, value) => {
    const { verifier } = setup();
    const req = signed();
    expect(verifier.verify({ ...req, headers: { ...req.headers, [name]: value } })).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuses a request signed with another key', () => {
    const { verifier } = setup();
    expect(verifier.verify(signed({ key: OTHER_KEY }))).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuses a signature of the wrong length without throwing, and takes hex in either case', () => {
    const { verifier } = setup();
    const req = signed();
    const sig = req.headers[AUTH_HEADERS.signature] as string;
    for (const wrong of ['abcd', sig.slice(0, 62), `${sig}00`]) {
      expect(verifier.verify({ ...req, headers: { ...req.headers, [AUTH_HEADERS.signature]: wrong } })).toMatchObject({ ok: false, reason: 'bad signature' });
    }
    expect(verifier.verify({ ...req, headers: { ...req.headers, [AUTH_HEADERS.signature]: sig.toUpperCase() } }).ok).toBe(true);
  });

  it.each(Object.values(AUTH_HEADERS).filter((h) => h !== AUTH_HEADERS.addr))('refuses a request without %s: missing authentication headers', (name) => {
    const { verifier } = setup();
    const req = signed();
    const headers: Record<string, string | undefined> = { ...req.headers, [name]: undefined };
    expect(verifier.verify({ ...req, headers })).toMatchObject({ ok: false, reason: 'missing authentication headers' });
    expect(verifier.verify({ ...req, headers: { ...req.headers, [name]: '' } })).toMatchObject({ ok: false, reason: 'missing authentication headers' });
  });

  it('refuses an unsigned request: missing authentication headers', () => {
    const { verifier } = setup();
    expect(verifier.verify({ method: 'GET', path: '/', headers: new Headers(), local: ADDR })).toMatchObject({ ok: false, reason: 'missing authentication headers' });
  });

  it.each([
    ['a node id that is not hex', AUTH_HEADERS.node, 'zz23456789abcdef0123456789abcdef'],
    ['an upper-case node id', AUTH_HEADERS.node, NODE.toUpperCase()],
    ['a time that is not an integer', AUTH_HEADERS.time, `${T0}.5`],
    ['a negative time', AUTH_HEADERS.time, `-${T0}`],
    ['a time in another format', AUTH_HEADERS.time, new Date(T0).toISOString()],
    ['a short nonce', AUTH_HEADERS.nonce, 'abcdef'],
    ['a signature that is not hex', AUTH_HEADERS.signature, 'not-hex!'],
    ['a signature of odd length', AUTH_HEADERS.signature, 'abc'],
    ['duplicated headers (joined by fetch)', AUTH_HEADERS.nonce, `${NONCE}, ${NONCE}`],
  ])('refuses %s: malformed headers', (_what, name, value) => {
    const { verifier } = setup();
    const req = signed();
    expect(verifier.verify({ ...req, headers: { ...req.headers, [name]: value } })).toMatchObject({ ok: false, reason: 'malformed headers' });
  });

  it('refuses a replayed request, and a replay does not count as a new nonce', () => {
    const { verifier, advance } = setup();
    const req = signed();
    expect(verifier.verify(req).ok).toBe(true);
    expect(verifier.verify(req)).toMatchObject({ ok: false, reason: 'replayed request' });
    advance(29_000);
    expect(verifier.verify(req)).toMatchObject({ ok: false, reason: 'replayed request' });
    expect(verifier.nonceCount()).toBe(1);
  });

  it('remembers only authenticated nonces: a forged request cannot burn a real one', () => {
    const { verifier } = setup();
    expect(verifier.verify(signed({ key: OTHER_KEY, nonce: NONCE })).ok).toBe(false);
    expect(verifier.nonceCount()).toBe(0);
    expect(verifier.verify(signed({ nonce: NONCE })).ok).toBe(true);
  });

  it('allows ±30 s of clock skew by default and refuses more, either way, naming the offset', () => {
    const { verifier } = setup();
    expect(verifier.verify(signed({ nowMs: T0 - 30_000 })).ok).toBe(true);
    expect(verifier.verify(signed({ nowMs: T0 + 30_000 })).ok).toBe(true);
    expect(verifier.verify(signed({ nowMs: T0 - 30_001 }))).toMatchObject({ ok: false, reason: 'clock skew too large (-30.0 s)' });
    expect(verifier.verify(signed({ nowMs: T0 + 30_001 }))).toMatchObject({ ok: false, reason: 'clock skew too large (+30.0 s)' });
    expect(verifier.verify(signed({ nowMs: T0 + 3_600_000 }))).toMatchObject({ ok: false, reason: 'clock skew too large (+3600.0 s)' });
  });

  it('takes a custom skew', () => {
    const { verifier } = setup({ maxSkewMs: 5_000 });
    expect(verifier.verify(signed({ nowMs: T0 - 5_000 })).ok).toBe(true);
    expect(verifier.verify(signed({ nowMs: T0 - 5_500 }))).toMatchObject({ ok: false, reason: 'clock skew too large (-5.5 s)' });
  });

  it('forgets nonces once their time leaves the window; an old request is then refused for its age', () => {
    const { verifier, advance, now } = setup();
    const old = signed();
    expect(verifier.verify(old).ok).toBe(true);
    advance(30_000); // old time == now - 30 s: still inside the window, still remembered
    expect(verifier.verify(signed({ nowMs: now() })).ok).toBe(true);
    expect(verifier.nonceCount()).toBe(2);
    advance(1);
    expect(verifier.verify(signed({ nowMs: now() })).ok).toBe(true);
    expect(verifier.nonceCount()).toBe(2); // the first one was pruned, the third added
    expect(verifier.verify(old)).toMatchObject({ ok: false, reason: 'clock skew too large (-30.0 s)' });
  });

  it('prunes by request time, not arrival order (senders ahead of and behind our clock)', () => {
    const { verifier, advance, now } = setup();
    // Arrival order differs from time order; offsets are relative to T0.
    const offsets = [20_000, -25_000, 0, 29_000, -10_000, 5_000, -29_999, 12_345, -1, 25_000];
    for (const offset of offsets) expect(verifier.verify(signed({ nowMs: T0 + offset })).ok).toBe(true);
    for (let step = 0; step < 70; step++) {
      advance(1_000);
      const cutoff = now() - 30_000;
      // Pruning is lazy: it happens on the next authenticated request.
      expect(verifier.verify(signed({ nowMs: now() })).ok).toBe(true);
      const expected = offsets.filter((o) => T0 + o >= cutoff).length + Math.min(step + 1, 31);
      expect(verifier.nonceCount()).toBe(expected);
    }
  });

  it('refuses rather than forgets when the replay window is full, until old nonces expire', () => {
    const { verifier, advance, now } = setup({ maxNonces: 3 });
    const first = signed();
    expect(verifier.verify(first).ok).toBe(true);
    expect(verifier.verify(signed()).ok).toBe(true);
    expect(verifier.verify(signed()).ok).toBe(true);
    expect(verifier.verify(signed())).toMatchObject({ ok: false, reason: 'too many requests in the replay window' });
    // The oldest is not forgotten to make room: replaying it is still caught as a replay.
    expect(verifier.verify(first)).toMatchObject({ ok: false, reason: 'replayed request' });
    expect(verifier.nonceCount()).toBe(3);
    advance(30_001);
    expect(verifier.verify(signed({ nowMs: now() })).ok).toBe(true);
    expect(verifier.nonceCount()).toBe(1);
  });

  it('keeps separate windows per verifier (one per agent)', () => {
    const a = setup().verifier;
    const b = setup().verifier;
    const req = signed();
    expect(a.verify(req).ok).toBe(true);
    expect(b.verify(req).ok).toBe(true);
  });
});

describe('signResponse / verifyResponse', () => {
  const base = { key: KEY, requestNonce: NONCE, responderId: SELF, addr: ADDR, status: 200, body: '{"seq":3}' };

  it('round-trips, over the documented canonical string', () => {
    const signature = signResponse(base);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    const bodyHash = createHash('sha256').update(base.body).digest('hex');
    expect(signature).toBe(createHmac('sha256', KEY).update(`v2-response\n${NONCE}\n${SELF}\n${ADDR}\n200\n${bodyHash}`).digest('hex'));
    expect(verifyResponse({ ...base, signature })).toBe(true);
    expect(verifyResponse({ ...base, body: new TextEncoder().encode(base.body), signature })).toBe(true);
  });

  it.each([
    ['another request nonce', { requestNonce: 'ffeeddccbbaa99887766554433221100' }],
    ['another status', { status: 503 }],
    ['another body', { body: '{"seq":4}' }],
    ['an empty body', { body: '' }],
    ['another key', { key: OTHER_KEY }],
    ['another responder (a member answering for another)', { responderId: OTHER_NODE }],
    ['another address (an answer carried from elsewhere)', { addr: '10.0.0.13:7650' }],
  ])('refuses a signature checked against %s', (_what, change) => {
    const signature = signResponse(base);
    expect(verifyResponse({ ...base, ...change, signature })).toBe(false);
  });

  it.each([
    ['absent', null],
    ['empty', ''],
    ['not hex', 'zz'],
    ['truncated', signResponse(base).slice(0, 32)],
  ])('refuses a signature that is %s', (_what, signature) => {
    expect(verifyResponse({ ...base, signature })).toBe(false);
  });

  it('a request signature never passes as a response signature (separate canonical prefixes)', () => {
    const headers = signRequest({ key: KEY, nodeId: NODE, ...TO, method: 'GET', path: '/', nowMs: T0, nonce: NONCE, body: '' });
    expect(verifyResponse({ ...base, body: '', signature: headers[AUTH_HEADERS.signature] ?? null })).toBe(false);
  });
});

describe('signRelayResponse / verifyRelayResponse (the head of a relayed stream)', () => {
  const head = { key: KEY, requestNonce: NONCE, responderId: SELF, addr: ADDR, status: 200 };

  it('round-trips over nonce, responder, address and status only', () => {
    const signature = signRelayResponse(head);
    expect(signature).toBe(createHmac('sha256', KEY).update(`v2-relay\n${NONCE}\n${SELF}\n${ADDR}\n200`).digest('hex'));
    expect(verifyRelayResponse({ ...head, signature })).toBe(true);
  });

  it.each([
    ['another status', { status: 502 }],
    ['another responder', { responderId: OTHER_NODE }],
    ['another address', { addr: '10.0.0.13:7650' }],
    ['another nonce', { requestNonce: 'ffeeddccbbaa99887766554433221100' }],
  ])('refuses it against %s', (_what, change) => {
    expect(verifyRelayResponse({ ...head, ...change, signature: signRelayResponse(head) })).toBe(false);
  });

  it('a buffered answer signature never passes as a relay head, nor the other way round', () => {
    const buffered = signResponse({ ...head, body: '' });
    expect(verifyRelayResponse({ ...head, signature: buffered })).toBe(false);
    expect(verifyResponse({ ...head, body: '', signature: signRelayResponse(head) })).toBe(false);
  });
});
