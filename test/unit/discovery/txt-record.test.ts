import { DnsTxt } from 'bonjour-service/dist/lib/dns-txt.js';
import { describe, expect, it } from 'vitest';
import {
  decodeTxt,
  encodeTxt,
  instanceName,
  MAX_INSTANCE_NAME_BYTES,
  MDNS_SERVICE_TYPE,
  TXT_VERSION,
  type TxtAdvert,
} from '../../../discovery/txt-record.js';

const NODE = '0123456789abcdef0123456789abcdef';
const MESH = '0c0f7c8f1e7cf0a8';
const advert: TxtAdvert = { nodeId: NODE, meshFingerprint: MESH, seq: 42 };
const wire = { v: '1', id: NODE, mesh: MESH, seq: '42' };

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('constants', () => {
  it('the service type is a valid RFC 6335 §5.1 service name (bonjour-service makes _inference-mesh._tcp)', () => {
    expect(MDNS_SERVICE_TYPE).toBe('inference-mesh');
    expect(MDNS_SERVICE_TYPE.length).toBeLessThanOrEqual(15);
    expect(MDNS_SERVICE_TYPE).toMatch(/^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$/i);
    expect(TXT_VERSION).toBe('1');
  });
});

describe('encodeTxt / decodeTxt', () => {
  it('encodes the four keys as strings and round-trips', () => {
    expect(encodeTxt(advert)).toEqual(wire);
    expect(decodeTxt(encodeTxt(advert))).toEqual({ ok: true, value: advert });
  });

  it('round-trips through bonjour-service’s own TXT encoder and decoder (the real wire path)', () => {
    const txt = new DnsTxt();
    const packets = txt.encode(encodeTxt(advert));
    const total = packets.reduce((n, b) => n + b.length, 0);
    expect(total).toBeLessThanOrEqual(200); // RFC 6763 §6.2: typical records are 200 bytes or less
    expect(decodeTxt(txt.decodeAll(packets))).toEqual({ ok: true, value: advert });
  });

  it.each([0, 1, 9, 10, Number.MAX_SAFE_INTEGER])('round-trips seq %d', (seq) => {
    expect(decodeTxt(encodeTxt({ ...advert, seq }))).toEqual({ ok: true, value: { ...advert, seq } });
  });

  it('accepts Buffer values (binary mode) as UTF-8', () => {
    const binary = Object.fromEntries(Object.entries(wire).map(([k, v]) => [k, Buffer.from(v)]));
    expect(decodeTxt(binary)).toEqual({ ok: true, value: advert });
  });

  it('ignores unknown keys and valueless keys (forward compatible; bonjour-service quirks)', () => {
    // `flag` is a boolean attribute; `x=` is how bonjour-service decodes an empty value.
    expect(decodeTxt({ ...wire, port: '7650', caps: 'gpu,ollama', flag: undefined, 'x=': undefined })).toEqual({ ok: true, value: advert });
  });

  it('treats keys case-insensitively and keeps the first occurrence (RFC 6763 §6.4)', () => {
    expect(decodeTxt({ V: '1', ID: NODE, Mesh: MESH, SEQ: '42' })).toEqual({ ok: true, value: advert });
    expect(decodeTxt({ ...wire, SEQ: '7' })).toEqual({ ok: true, value: advert });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'TXT record is not an object'],
    ['a string', 'v=1', 'TXT record is not an object'],
    ['an array', [Buffer.from('v=1')], 'TXT record is not an object'],
    ['a Buffer', Buffer.from('v=1'), 'TXT record is not an object'],
    ['oversized', { ...wire, pad: 'x'.repeat(400) }, 'TXT record too large (469 bytes > 400)'],
    ['oversized by multi-byte values', { ...wire, pad: 'é'.repeat(168) }, 'TXT record too large (405 bytes > 400)'],
    ['missing v', { id: NODE, mesh: MESH, seq: '1' }, 'missing advert version (v)'],
    ['a newer version', { ...wire, v: '2' }, 'unsupported advert version 2'],
    ['a much newer version with other keys', { v: '17', node: 'x' }, 'unsupported advert version 17'],
    ['version 0', { ...wire, v: '0' }, 'invalid advert version "0"'],
    ['a version that is not a number', { ...wire, v: 'one' }, 'invalid advert version "one"'],
    ['missing id', { v: '1', mesh: MESH, seq: '1' }, 'id: missing'],
    ['an upper-case id', { ...wire, id: NODE.toUpperCase() }, 'id: must be 32 lowercase hex digits'],
    ['a short id', { ...wire, id: NODE.slice(0, 31) }, 'id: must be 32 lowercase hex digits'],
    ['missing mesh', { v: '1', id: NODE, seq: '1' }, 'mesh: missing'],
    ['a long mesh', { ...wire, mesh: `${MESH}00` }, 'mesh: must be 16 lowercase hex digits'],
    ['a non-hex mesh', { ...wire, mesh: 'ghijklmnopqrstuv' }, 'mesh: must be 16 lowercase hex digits'],
    ['missing seq', { v: '1', id: NODE, mesh: MESH }, 'seq: missing'],
    ['a negative seq', { ...wire, seq: '-1' }, 'seq: must be a non-negative integer in decimal'],
    ['a fractional seq', { ...wire, seq: '1.5' }, 'seq: must be a non-negative integer in decimal'],
    ['an exponent seq', { ...wire, seq: '1e3' }, 'seq: must be a non-negative integer in decimal'],
    ['a hex seq', { ...wire, seq: '0x10' }, 'seq: must be a non-negative integer in decimal'],
    ['an unsafe seq', { ...wire, seq: '9007199254740992' }, 'seq: must be at most 2^53 - 1'],
    ['a seq that is not a string', { ...wire, seq: 42 }, 'seq: must be a string'],
  ])('refuses %s', (_what, txt, reason) => {
    expect(decodeTxt(txt)).toEqual({ ok: false, reason });
  });

  it('counts key=value bytes against the 400-byte limit (exactly 400 passes)', () => {
    const used = Object.entries(wire).reduce((n, [k, v]) => n + bytes(`${k}=${v}`), 0);
    const fill = (n: number) => ({ ...wire, pad: 'x'.repeat(n - used - 'pad='.length) });
    expect(decodeTxt(fill(400)).ok).toBe(true);
    expect(decodeTxt(fill(401))).toEqual({ ok: false, reason: 'TXT record too large (401 bytes > 400)' });
  });

  it('encodeTxt throws on values it could not decode (a caller bug)', () => {
    expect(() => encodeTxt({ ...advert, nodeId: 'node-1' })).toThrow(/id: must be 32 lowercase hex/);
    expect(() => encodeTxt({ ...advert, seq: -1 })).toThrow(TypeError);
    expect(() => encodeTxt({ ...advert, seq: 1.5 })).toThrow(TypeError);
  });
});

describe('instanceName', () => {
  it('is <hostname>-<first 8 of the node id>, with dots replaced', () => {
    expect(instanceName('gaming-pc', NODE)).toBe('gaming-pc-01234567');
    expect(instanceName('MacBook-Pro.local', NODE)).toBe('MacBook-Pro-local-01234567');
    expect(instanceName('', NODE)).toBe('node-01234567');
  });

  it('cuts a long ASCII hostname to exactly 63 bytes, keeping the node id', () => {
    const name = instanceName('h'.repeat(100), NODE);
    expect(bytes(name)).toBe(MAX_INSTANCE_NAME_BYTES);
    expect(name).toBe(`${'h'.repeat(54)}-01234567`);
  });

  it('cuts a long multi-byte hostname to at most 63 bytes without splitting a character', () => {
    const host = 'ゲーミングＰＣ'.repeat(10); // 3 bytes per character
    const name = instanceName(host, NODE);
    expect(bytes(name)).toBeLessThanOrEqual(MAX_INSTANCE_NAME_BYTES);
    expect(name.endsWith('-01234567')).toBe(true);
    const kept = name.slice(0, -'-01234567'.length);
    expect(host.startsWith(kept)).toBe(true);
    expect(kept).toHaveLength(18); // 54 bytes / 3
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // valid UTF-8, no replacement characters
    expect(name).not.toContain('\uFFFD');
  });

  it('does not split a surrogate pair or an emoji sequence at the boundary', () => {
    // 53 ASCII bytes leave 1 byte: a 4-byte emoji must go entirely.
    expect(instanceName(`${'a'.repeat(53)}😀`, NODE)).toBe(`${'a'.repeat(53)}-01234567`);
    // A family emoji (ZWJ sequence, 25 bytes) after 40 bytes does not fit in 54: dropped whole.
    const family = '👨‍👩‍👧‍👦';
    expect(instanceName(`${'b'.repeat(40)}${family}x`, NODE)).toBe(`${'b'.repeat(40)}-01234567`);
    expect(instanceName(`${'b'.repeat(20)}${family}`, NODE)).toBe(`${'b'.repeat(20)}${family}-01234567`);
  });

  it('keeps a hostname of exactly the budget whole, and cuts one byte more', () => {
    expect(instanceName('h'.repeat(54), NODE)).toBe(`${'h'.repeat(54)}-01234567`);
    expect(instanceName(`${'h'.repeat(53)}é`, NODE)).toBe(`${'h'.repeat(53)}-01234567`);
  });

  it('keeps a short multi-byte hostname whole', () => {
    expect(instanceName('wohnzimmer-pc.fritz.box', NODE)).toBe('wohnzimmer-pc-fritz-box-01234567');
    expect(instanceName('Küche', NODE)).toBe('Küche-01234567');
  });
});
