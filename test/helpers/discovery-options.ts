/**
 * Options for createDiscovery in unit tests: a discovery that does nothing by itself (no mDNS, no
 * static peers, probes and peer calls that fail if used, timers far away), so a test sets only
 * what it exercises.
 */
import type { DiscoveryOptions } from '../../discovery/discovery.js';
import type { PeerRegistry } from '../../discovery/registry.js';
import type { Clock } from '../../agent/kernel/clock.js';
import type { Logger } from '../../agent/kernel/log.js';

const unused = (): Promise<never> => Promise.reject(new Error('unused'));

export function quietDiscoveryOptions(base: { selfId: string; meshFingerprint: string; registry: PeerRegistry; clock: Clock; log: Logger }, over: Partial<DiscoveryOptions> = {}): DiscoveryOptions {
  return {
    hostname: 'hub',
    port: 7650,
    seq: () => 1,
    mdns: { enabled: false, interfaces: [] },
    staticUrls: () => [],
    endpoints: () => [],
    probes: { ollama: unused, 'immich-ml': unused, whisper: unused },
    healthIntervalMs: 600_000,
    maxChecksPerSec: 4,
    serving: () => new Set(),
    peerTimeoutMs: 1000,
    staticRetryMs: 600_000,
    servicesIntervalMs: 600_000,
    client: { ping: unused, fetchAdvert: unused, settings: unused },
    fetch: unused,
    persist: async () => undefined,
    ...base,
    ...over,
  };
}
