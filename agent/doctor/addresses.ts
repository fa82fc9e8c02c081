/** Which of this machine's addresses peers on the LAN would use. */
import type { NetworkInterfaceInfo } from 'node:os';

export interface LanAddress {
  iface: string;
  address: string;
}

function ipv4Octets(address: string): number[] | null {
  const parts = address.split('.').map(Number);
  return parts.length === 4 && parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 255) ? parts : null;
}

/** RFC 1918 private ranges: what a home LAN uses. */
export function isPrivateIpv4(address: string): boolean {
  const o = ipv4Octets(address);
  if (!o) return false;
  const [a = 0, b = 0] = o;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** 172.16.0.0/12: where WSL2's NAT puts the VM's eth0 (and Docker its bridges). */
export function isIn172_16(address: string): boolean {
  const o = ipv4Octets(address);
  return o !== null && o[0] === 172 && (o[1] ?? 0) >= 16 && (o[1] ?? 0) <= 31;
}

/** 100.64.0.0/10: Tailscale's CGNAT range; 169.254.0.0/16: link-local, no DHCP answer. */
function isTailscaleOrLinkLocal(address: string): boolean {
  const o = ipv4Octets(address);
  if (!o) return false;
  const [a = 0, b = 0] = o;
  return (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
}

/** Non-internal IPv4 addresses that are neither Tailscale nor link-local, private ones first. */
export function lanIpv4Addresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): LanAddress[] {
  const out: LanAddress[] = [];
  for (const [iface, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || isTailscaleOrLinkLocal(info.address)) continue;
      out.push({ iface, address: info.address });
    }
  }
  // Stable sort: private (LAN) addresses before public ones, otherwise interface order.
  return out.sort((x, y) => Number(isPrivateIpv4(y.address)) - Number(isPrivateIpv4(x.address)));
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\./.test(h);
}
