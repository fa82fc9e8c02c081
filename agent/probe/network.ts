import type { NetworkInterfaceInfo } from 'node:os';
import { compareNames } from '../kernel/compare-text.js';
import type { NetworkFacts } from '../kernel/shapes/facts.js';

/**
 * Addresses and MAC per interface, from `os.networkInterfaces()` (injected). The MAC is kept for
 * Wake-on-LAN; all-zero MACs (loopback, tunnels such as tailscale0) are null.
 */
export function probeNetwork(interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>): NetworkFacts {
  const result: NetworkFacts['interfaces'] = [];
  for (const [name, infos] of Object.entries(interfaces())) {
    if (!infos || infos.length === 0) continue;
    const mac = infos.find((i) => i.mac && i.mac !== '00:00:00:00:00:00')?.mac ?? null;
    result.push({
      name,
      mac,
      internal: infos.every((i) => i.internal),
      addresses: infos.map((i) => ({ address: i.address, family: i.family, cidr: i.cidr ?? null })),
    });
  }
  return { interfaces: result.sort((a, b) => compareNames(a.name, b.name)) };
}
