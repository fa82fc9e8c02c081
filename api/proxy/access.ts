/**
 * Who may use the routed Ollama and Immich ML endpoints. Neither service has authentication of its
 * own, so the agent is the gate: a client must come from an allowed network and, when
 * `proxy.apiKey` is configured, present that key. Anyone else would get free GPU time on a family
 * machine and could read what others send to the models.
 *
 * Pure: the caller passes the socket's remote address and the Authorization header, so the same
 * policy serves the raw node:http proxy and Hono routes, and is tested without sockets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../agent/kernel/errors.js';

/**
 * The networks a home lab's own clients come from; the public internet is not among them.
 * - 127.0.0.0/8, ::1/128: this machine (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3).
 * - 10/8, 172.16/12, 192.168/16: private LANs (RFC 1918 §3).
 * - 100.64.0.0/10: shared address space (RFC 6598), which Tailscale uses for tailnet IPv4 addresses.
 * - fc00::/7: unique local IPv6 (RFC 4193), which includes Tailscale's fd7a:115c:a1e0::/48.
 */
export const DEFAULT_ALLOWED_CIDRS: readonly string[] = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // Tailscale CGNAT
  'fc00::/7', // ULA, incl. Tailscale's fd7a:115c:a1e0::/48
];

const CIDR_MESSAGE = 'must be an address or CIDR such as 192.168.1.0/24';

/** One entry of `proxy.allowedCidrs`: an IPv4/IPv6 address (a single host) or a CIDR block. */
export const cidrSchema = z.string().refine((s) => parseCidr(s) !== null, { error: CIDR_MESSAGE });

export interface AccessPolicyOptions {
  allowedCidrs: readonly string[];
  /** null: the network check alone decides. */
  apiKey: string | null;
}

export type AccessDenied = {
  ok: false;
  status: 403;
  code: 'forbidden_network' | 'forbidden_key';
  message: string;
};

export type AccessDecision = { ok: true } | AccessDenied;

export interface AccessPolicy {
  /** The routed endpoints: the network check, then `proxy.apiKey` when set. */
  check(remoteAddress: string | undefined, authorizationHeader: string | undefined): AccessDecision;
  /**
   * Everything else the agent serves (API reads, UI, /metrics, SSE, login): the network check
   * alone, since browsers cannot send the proxy's Bearer key (issue 11).
   */
  checkNetwork(remoteAddress: string | undefined): AccessDecision;
}

/**
 * Always allowed, whatever `proxy.allowedCidrs` says: the CLI, `doctor` and the service manager's
 * health checks talk to the agent over loopback, and a list that left it out would lock the owner
 * out of their own machine.
 */
const LOOPBACK: readonly Cidr[] = [
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
];

interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Throws ConfigError listing every bad entry: the schema should have caught them, but fail fast anyway. */
export function createAccessPolicy(opts: AccessPolicyOptions): AccessPolicy {
  const allowed = new BlockList();
  for (const cidr of LOOPBACK) allowed.addSubnet(cidr.address, cidr.prefix, cidr.family);
  const issues: ConfigIssue[] = [];
  opts.allowedCidrs.forEach((entry, i) => {
    const cidr = parseCidr(entry);
    if (cidr) allowed.addSubnet(cidr.address, cidr.prefix, cidr.family);
    else issues.push({ path: `proxy.allowedCidrs.${i}`, message: `${JSON.stringify(entry)} ${CIDR_MESSAGE}` });
  });
  // An empty key could never be sent as a Bearer token, so it would silently lock every client out.
  if (opts.apiKey === '') issues.push({ path: 'proxy.apiKey', message: 'must not be empty; use null for no key' });
  if (issues.length > 0) throw new ConfigError('proxy access policy', issues);

  // Comparing SHA-256 digests gives timingSafeEqual the equal-length buffers it needs without the
  // early length check that would tell an attacker how long the key is.
  const keyDigest = opts.apiKey === null ? null : sha256(opts.apiKey);

  const decide = (remoteAddress: string | undefined): AccessDecision => {
    const client = remoteAddress === undefined ? null : normalizeAddress(remoteAddress);
    if (client === null) {
      return deny(
        'forbidden_network',
        "the client's address is unknown, so it cannot be matched against the allowed networks (proxy.allowedCidrs)",
      );
    }
    if (!allowed.check(client.address, client.family)) {
      return deny(
        'forbidden_network',
        `${client.address} is not in the allowed networks (proxy.allowedCidrs); add it to the agent's configuration to let this client in`,
      );
    }
    return ALLOWED;
  };
  // The verdict per remote address, remembered: BlockList.check makes a SocketAddress per call and
  // normalizing costs regexes, measurable per small request (issue 14). A home lab has a handful of
  // clients; the cap bounds what a scan of many addresses can make it hold.
  const verdicts = new Map<string, AccessDecision>();
  const checkNetwork = (remoteAddress: string | undefined): AccessDecision => {
    if (remoteAddress === undefined) return decide(remoteAddress);
    let verdict = verdicts.get(remoteAddress);
    if (verdict === undefined) {
      verdict = decide(remoteAddress);
      if (verdicts.size >= MAX_REMEMBERED_ADDRESSES) verdicts.clear();
      verdicts.set(remoteAddress, verdict);
    }
    return verdict;
  };

  return {
    checkNetwork,
    check(remoteAddress, authorizationHeader) {
      const network = checkNetwork(remoteAddress);
      if (!network.ok || keyDigest === null) return network;
      const token = bearerToken(authorizationHeader);
      if (token === null) {
        return deny('forbidden_key', 'this endpoint needs an API key: send Authorization: Bearer <proxy.apiKey>');
      }
      // Never echo the token: it may be a real key meant for another service.
      if (!timingSafeEqual(sha256(token), keyDigest)) return deny('forbidden_key', 'the API key is wrong');
      return ALLOWED;
    },
  };
}

const ALLOWED: AccessDecision = Object.freeze({ ok: true });
const MAX_REMEMBERED_ADDRESSES = 1024;

function deny(code: AccessDenied['code'], message: string): AccessDenied {
  return { ok: false, status: 403, code, message };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * The token of `Authorization: Bearer <token>`. The scheme name is case-insensitive (RFC 9110
 * §11.1) and clients differ in spacing, so both are tolerated; anything else counts as no key.
 */
function bearerToken(header: string | undefined): string | null {
  const m = header === undefined ? null : /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

/**
 * `address[/prefix]` → a subnet for BlockList; null when invalid. A bare address is one host.
 * An IPv4-mapped IPv6 entry becomes its IPv4 form, as remote addresses do (normalizeAddress).
 */
function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText, ...rest] = text.split('/');
  if (rest.length > 0) return null;
  // isIP accepts an IPv6 zone ("fe80::1%eth0"); a zone names a local interface, not a network.
  if (address.includes('%')) return null;
  const version = entryVersion(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    if (prefix > max) return null;
  }
  if (version === 6) {
    const v4 = mappedIPv4(address);
    if (v4 !== null && prefix >= 96) return { address: v4, prefix: prefix - 96, family: 'ipv4' };
    return { address, prefix, family: 'ipv6' };
  }
  return { address, prefix, family: 'ipv4' };
}

/**
 * `isIP` for an allowlist entry (zone already refused), IPv6 checked natively by a BlockList: isIP's
 * IPv6 regular expression costs ~10 ms of CPU to compile on its first use, which every agent paid at
 * start for the default allowlist's IPv6 entries (issue 17), while an agent listening on IPv4 never
 * needs it for a request.
 */
function entryVersion(address: string): 0 | 4 | 6 {
  if (isIPv4(address)) return 4;
  if (!address.includes(':')) return 0;
  try {
    new BlockList().addAddress(address, 'ipv6');
    return 6;
  } catch {
    return 0;
  }
}

/**
 * A dual-stack socket reports IPv4 clients as `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2); they are
 * matched as the IPv4 address they are. The interface zone of a link-local address is dropped.
 */
function normalizeAddress(raw: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const address = raw.replace(/%.*$/, '');
  const version = isIP(address);
  if (version === 4) return { address, family: 'ipv4' };
  if (version !== 6) return null;
  const v4 = mappedIPv4(address);
  return v4 === null ? { address: address.toLowerCase(), family: 'ipv6' } : { address: v4, family: 'ipv4' };
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (dotted or hex tail), else null. */
function mappedIPv4(ipv6: string): string | null {
  const m = /^(?:::|(?:0{1,4}:){1,4}:|(?:0{1,4}:){5})ffff:(.+)$/i.exec(ipv6);
  const tail = m?.[1];
  if (tail === undefined) return null;
  if (isIPv4(tail)) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
  if (!hex?.[1] || !hex[2]) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}
