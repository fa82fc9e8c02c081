/**
 * The mDNS TXT record of a node (DESIGN.md §5): only `v`, `id`, `mesh` and `seq`. It tells a
 * browser whose node this is, whether it belongs to our mesh and whether its advert changed; the
 * advert itself is fetched over HTTP (discovery/advert.ts). TXT arrives from anyone on the
 * LAN, so it is parsed with zod like every other untrusted input (DESIGN.md §4).
 */
import { z } from 'zod';

/**
 * The DNS-SD service name; bonjour-service builds `_inference-mesh._tcp` from it (PROTOCOLS.md
 * §5.1). RFC 6335 §5.1 allows 1–15 letters, digits and hyphens: this is 14.
 */
export const MDNS_SERVICE_TYPE = 'inference-mesh';

/** `v=` of the record. Bump only for changes an old reader would misread; new keys need no bump. */
export const TXT_VERSION = '1';

/**
 * RFC 6763 §6.2: a TXT record up to 400 bytes fits a 512-byte DNS message (ours is ~65). Anything
 * larger is not one of ours and is refused before its values are looked at.
 */
export const MAX_TXT_BYTES = 400;

/** RFC 6763 §4.1.1: an instance name is at most 63 bytes of UTF-8. */
export const MAX_INSTANCE_NAME_BYTES = 63;

const utf8 = new TextDecoder('utf-8');
/**
 * Made on the first name that needs cutting: any `Intl` object maps several MB of ICU data (issue 14,
 * idle RSS), and a hostname short enough to publish whole needs no grapheme boundaries.
 */
let graphemes: Intl.Segmenter | undefined;

export interface TxtAdvert {
  nodeId: string;
  /** discovery/mesh-key.ts `meshFingerprint()`. */
  meshFingerprint: string;
  /** Bumped whenever the node's full advert changes, so peers know when to re-fetch it. */
  seq: number;
}

export type DecodeTxtResult = { ok: true; value: TxtAdvert } | { ok: false; reason: string };

const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'missing' : 'must be a string') });

/** The fields of a version-1 record; values are strings on the wire. */
const txtSchema = z
  .object({
    id: text().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    mesh: text().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits'),
    seq: text()
      .regex(/^[0-9]+$/, 'must be a non-negative integer in decimal')
      .transform(Number)
      .pipe(z.number().max(Number.MAX_SAFE_INTEGER, 'must be at most 2^53 - 1')),
  })
  .transform(({ id, mesh, seq }): TxtAdvert => ({ nodeId: id, meshFingerprint: mesh, seq }));

/**
 * The TXT entries to publish. Values are strings because bonjour-service stringifies them anyway
 * (`${key}=${value}`, PROTOCOLS.md §5.1).
 *
 * @throws TypeError when the values would not decode (a bug in the caller).
 */
export function encodeTxt(v: TxtAdvert): Record<string, string> {
  const txt = { v: TXT_VERSION, id: v.nodeId, mesh: v.meshFingerprint, seq: String(v.seq) };
  const check = decodeTxt(txt);
  if (!check.ok) throw new TypeError(`encodeTxt: ${check.reason}`);
  return txt;
}

/**
 * Parses a TXT record as bonjour-service delivers it (`service.txt`): an object of string values,
 * or of Buffers in binary mode. Quirks handled (PROTOCOLS.md §5.1, RFC 6763 §6):
 * - keys are case-insensitive (§6.4), and only the first occurrence of a key counts (§6.4);
 * - a key without a value (boolean attribute, or bonjour-service's `key=` quirk) has the value
 *   `undefined` and is ignored;
 * - unknown keys are ignored, so a later agent may add keys without breaking this one.
 */
export function decodeTxt(txt: unknown): DecodeTxtResult {
  if (typeof txt !== 'object' || txt === null || Array.isArray(txt) || ArrayBuffer.isView(txt)) {
    return { ok: false, reason: 'TXT record is not an object' };
  }

  const fields = new Map<string, unknown>();
  let bytes = 0;
  for (const [rawKey, rawValue] of Object.entries(txt as Record<string, unknown>)) {
    const value: unknown = rawValue instanceof Uint8Array ? utf8.decode(rawValue) : rawValue;
    bytes += Buffer.byteLength(rawKey) + (typeof value === 'string' ? 1 + Buffer.byteLength(value) : 0);
    const key = rawKey.toLowerCase();
    if (value !== undefined && !fields.has(key)) fields.set(key, value);
  }
  if (bytes > MAX_TXT_BYTES) return { ok: false, reason: `TXT record too large (${bytes} bytes > ${MAX_TXT_BYTES})` };

  // The version decides how to read everything else, so it is checked on its own first.
  const version = fields.get('v');
  if (version === undefined) return { ok: false, reason: 'missing advert version (v)' };
  if (version !== TXT_VERSION) {
    if (typeof version === 'string' && /^[0-9]{1,6}$/.test(version) && Number(version) > Number(TXT_VERSION)) {
      return { ok: false, reason: `unsupported advert version ${Number(version)}` };
    }
    return { ok: false, reason: `invalid advert version ${JSON.stringify(version)}` };
  }

  const parsed = txtSchema.safeParse({ id: fields.get('id'), mesh: fields.get('mesh'), seq: fields.get('seq') });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid TXT record' };
  }
  return { ok: true, value: parsed.data };
}

/**
 * The DNS-SD instance name: `<hostname>-<first 8 of nodeId>`. The node id part keeps names unique,
 * which matters because bonjour-service does not rename on a conflict: it stops publishing
 * (issue #73, PROTOCOLS.md §5.1). Dots become `-` as bonjour-service would do anyway, so the length
 * computed here is the length published. The hostname is cut to keep the whole within 63 UTF-8
 * bytes (RFC 6763 §4.1.1), at a grapheme boundary, so no character (nor an accent or emoji
 * sequence) is split.
 */
export function instanceName(hostname: string, nodeId: string): string {
  const suffix = `-${nodeId.slice(0, 8)}`.replace(/\./g, '-');
  const budget = MAX_INSTANCE_NAME_BYTES - Buffer.byteLength(suffix);
  const whole = hostname.replace(/\./g, '-');
  if (Buffer.byteLength(whole) <= budget) return `${whole || 'node'}${suffix}`;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let host = '';
  let used = 0;
  for (const { segment } of graphemes.segment(whole)) {
    const size = Buffer.byteLength(segment);
    if (used + size > budget) break;
    host += segment;
    used += size;
  }
  return `${host || 'node'}${suffix}`;
}
