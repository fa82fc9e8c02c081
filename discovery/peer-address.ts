/**
 * Addresses as the peer protocol binds them: `host:port`, the host an IP literal. A signed request
 * names the address its sender dialled and the receiver compares it with the local end of the TCP
 * connection it arrived on, so a request carried by a relay (which the receiver sees arriving on its
 * own address, not the relay's) or replayed to another member is refused (issue 10 §3).
 */
import { isIP } from 'node:net';

/** `::ffff:10.0.0.5` (an IPv4 client on a dual-stack socket) is the IPv4 address it wraps. */
export function normalizeIp(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped?.[1] ?? bare;
}

/** `10.0.0.5:7650`, `[fe80::1]:7650`: the form signed in `x-im-dialled` and `x-im-addr`. */
export function hostPort(address: string, port: number): string {
  const ip = normalizeIp(address);
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The local end of a connection as a signed `x-im-dialled` must name it; `unknown:0` (never signed) without one. */
export function socketLocal(socket: { localAddress?: string | undefined; localPort?: number | undefined } | undefined): string {
  return socket?.localAddress && socket.localPort ? hostPort(socket.localAddress, socket.localPort) : 'unknown:0';
}

/** The host part of a base URL, brackets removed (`http://[::1]:7650` → `::1`). */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** The port of a base URL, with the scheme's default when none is written. */
export function urlPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Resolves a host name to its IP addresses (node:dns `lookup` with `all`), IPv4 first. */
export type LookupHost = (host: string) => Promise<string[]>;

const systemLookup: LookupHost = async (host) => {
  const { lookup } = await import('node:dns/promises');
  const found = await lookup(host, { all: true });
  return found.sort((a, b) => a.family - b.family).map((a) => a.address);
};

/**
 * The origin to dial for an agent base URL, and the `host:port` to sign as dialled. A host name is
 * resolved here (IPv4 first), so the signed address is the one the connection really goes to.
 */
export async function resolveAgentUrl(baseUrl: string, lookup: LookupHost = systemLookup): Promise<{ origin: string; dialled: string }> {
  const url = new URL(baseUrl);
  const port = urlPort(url);
  let ip = urlHost(url);
  if (isIP(ip) === 0) {
    const found = await lookup(ip);
    const first = found[0];
    if (first === undefined) throw Object.assign(new Error(`host not found: ${ip}`), { code: 'ENOTFOUND' });
    ip = first;
  }
  const dialled = hostPort(ip, port);
  return { origin: `${url.protocol}//${dialled}`, dialled };
}
