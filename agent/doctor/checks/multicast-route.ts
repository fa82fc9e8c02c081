/**
 * Check 3 (Linux): is there a route for mDNS's group 224.0.0.251 (PROTOCOLS.md §5.1, §5.3)? Without
 * one (no default route, no 224.0.0.0/4 route) sending to the group fails with ENETUNREACH and mDNS
 * discovery finds nobody. `ip route get` answers exactly that question; `/proc/net/route` is the
 * fallback when iproute2 is not installed.
 *
 * mDNS pinned to interfaces (`discovery.mdns.interfaces`) needs no route: the socket names its
 * interface for multicast (IP_MULTICAST_IF), so the group is reached through it either way
 * (TOOLCHAIN.md: a namespace with no route at all forms its mesh). What matters then is that each
 * pinned address is this machine's, on an interface that reaches other machines.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { lanIpv4Addresses } from '../addresses.js';
import { ExecError } from '../../kernel/exec.js';
import type { CheckResult, DoctorCheck, DoctorDeps } from '../types.js';

const base = { id: 'multicast-route', title: 'Multicast route (mDNS)' } as const;
const EXEC_TIMEOUT_MS = 5000;

export const checkMulticastRoute: DoctorCheck = async (config, deps) => {
  if (deps.platform !== 'linux') return { ...base, status: 'skipped', detail: `not checked on ${deps.platform}` };
  const { mdns } = config.discovery;
  if (!mdns.enabled) return { ...base, status: 'skipped', detail: 'mDNS discovery is off (discovery.mdns.enabled)' };
  if (mdns.interfaces.length > 0) return pinned(mdns.interfaces, deps.networkInterfaces());
  let stdout: string;
  try {
    ({ stdout } = await deps.exec('ip', ['route', 'get', '224.0.0.251'], { timeoutMs: EXEC_TIMEOUT_MS }));
  } catch (err) {
    if (err instanceof ExecError && err.code === 'ENOENT') return fromProcNetRoute(deps);
    // "RTNETLINK answers: Network is unreachable": the kernel has no route for the group.
    if (err instanceof ExecError && /unreachable/i.test(`${err.stderr} ${err.message}`)) return noRoute(deps);
    throw err;
  }
  const dev = /\bdev (\S+)/.exec(stdout)?.[1];
  // A route over loopback only reaches this machine's own sockets, never a peer.
  if (dev === undefined || dev === 'lo') return noRoute(deps);
  return { ...base, status: 'ok', detail: `224.0.0.251 goes out via ${dev}` };
};

/** mDNS pinned to these addresses: each must be this machine's, and not loopback only. */
function pinned(addresses: readonly string[], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): CheckResult {
  const own = new Map<string, { iface: string; internal: boolean }>();
  for (const [iface, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) if (info.family === 'IPv4') own.set(info.address, { iface, internal: info.internal });
  }
  const missing = addresses.filter((a) => !own.has(a));
  if (missing.length > 0) {
    return {
      ...base,
      status: 'problem',
      detail: `mDNS is pinned to ${missing.join(', ')}, which no interface of this machine has: mDNS cannot announce or find peers there`,
      fix: "set discovery.mdns.interfaces to this machine's LAN addresses (`ip -4 addr` lists them), or leave it empty to use every interface",
    };
  }
  const where = addresses.map((a) => `${a} (${own.get(a)?.iface ?? '?'})`).join(', ');
  if (addresses.every((a) => own.get(a)?.internal === true)) {
    return {
      ...base,
      status: 'warn',
      detail: `mDNS is pinned to ${where}, which reaches only agents on this machine`,
      fix: "set discovery.mdns.interfaces to this machine's LAN addresses, or leave it empty to use every interface",
    };
  }
  return { ...base, status: 'ok', detail: `mDNS is pinned to ${where}: multicast goes out there, with no route needed` };
}

/**
 * /proc/net/route holds little-endian hex: a default route has Destination 00000000 and Mask
 * 00000000; 224.0.0.0/4 is Destination 000000E0 with Mask 000000F0.
 */
async function fromProcNetRoute(deps: DoctorDeps): Promise<CheckResult> {
  let table: string;
  try {
    table = await deps.readFile('/proc/net/route');
  } catch {
    // Containers and hardened kernels may hide it; without `ip` there is no other way to tell.
    return { ...base, status: 'skipped', detail: 'neither `ip` nor /proc/net/route is available' };
  }
  for (const line of table.split('\n').slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!iface || iface === 'lo' || dest === undefined || mask === undefined) continue;
    const d = dest.toUpperCase();
    const m = mask.toUpperCase();
    if ((d === '00000000' && m === '00000000') || (d === '000000E0' && m === '000000F0')) {
      return { ...base, status: 'ok', detail: `224.0.0.251 goes out via ${iface}` };
    }
  }
  return noRoute(deps);
}

function noRoute(deps: DoctorDeps): CheckResult {
  const iface = lanIpv4Addresses(deps.networkInterfaces())[0]?.iface ?? '<your LAN interface>';
  return {
    ...base,
    status: 'problem',
    detail: 'no route for multicast (224.0.0.251): mDNS cannot announce or find peers',
    fix: `sudo ip route add 224.0.0.0/4 dev ${iface} (make it permanent in your network configuration), or list peers in discovery.peers`,
  };
}
