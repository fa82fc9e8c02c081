/**
 * Builds this node's mesh discovery from config and deps: registry, peer client, tailnet source and
 * the discovery service. Kept out of agent.ts so the composition root stays a list of parts.
 */
import { SERVICE_PROBES } from './probe/services.js';
import { createDiscovery, type Discovery } from '../discovery/discovery.js';
import { createPeerClient } from '../discovery/peer-client.js';
import { createPeerHttpClient } from '../discovery/peer-transport.js';
import type { PeerRegistry } from '../discovery/registry.js';
import { readTailscaleStatus } from '../discovery/tailscale-client.js';
import { createTailnetSource } from '../discovery/tailnet-source.js';
import type { AgentConfig } from './config-schema.js';
import type { AgentDeps } from './deps.js';
import type { StaticPeers } from '../discovery/static-peers.js';
import type { Store } from './store.js';

export function createMeshDiscovery(
  config: AgentConfig,
  deps: AgentDeps,
  parts: {
    selfId: string;
    key: string;
    fingerprint: string;
    port: number;
    seq: () => number;
    registry: PeerRegistry;
    store: Store;
    staticPeers: StaticPeers;
    /** Nodes that serve a kind now (health-checked first). */
    serving: () => ReadonlySet<string>;
  },
): Discovery {
  const log = deps.log.child('discovery');
  const d = config.discovery;
  let discovery: Discovery | null = null;
  const connections = createPeerHttpClient({ onConnectionClosed: (origin) => discovery?.connectionClosed(origin) });
  const client = createPeerClient({
    key: parts.key,
    selfId: parts.selfId,
    transport: connections.send,
    clock: deps.clock,
    timeoutMs: d.peerTimeoutMs,
    lookup: deps.lookupHost,
    hints: { port: () => parts.port, seq: parts.seq },
  });
  const tailnet = d.tailnet.enabled
    ? createTailnetSource({
        clock: deps.clock,
        log: log.child('tailnet'),
        intervalMs: d.tailnet.intervalSec * 1000,
        timeoutMs: config.probes.timeoutMs,
        read: (signal) =>
          readTailscaleStatus({ exec: deps.exec, platform: deps.platform, ...(deps.tailscaleLocalApi ? { localApi: deps.tailscaleLocalApi } : {}) }, signal),
        filter: { tags: d.tailnet.tags, hostnamePattern: d.tailnet.hostnamePattern },
        agentPort: parts.port,
        onPeers: (peers) => discovery?.tailnetPeers(peers),
      })
    : undefined;
  discovery = createDiscovery({
    selfId: parts.selfId,
    hostname: deps.hostname,
    port: parts.port,
    meshFingerprint: parts.fingerprint,
    seq: parts.seq,
    mdns: d.mdns,
    staticUrls: () => parts.staticPeers.urls().map((u) => u.url),
    endpoints: () => parts.staticPeers.endpoints().map(({ origin: _origin, ...e }) => e),
    ...(tailnet ? { tailnet } : {}),
    healthIntervalMs: d.healthIntervalMs,
    maxChecksPerSec: d.maxChecksPerSec,
    serving: parts.serving,
    peerTimeoutMs: d.peerTimeoutMs,
    staticRetryMs: 10_000,
    servicesIntervalMs: config.probes.servicesIntervalSec * 1000,
    registry: parts.registry,
    client,
    clock: deps.clock,
    fetch: deps.fetch,
    probes: SERVICE_PROBES,
    log,
    ...(deps.createBonjour ? { createBonjour: deps.createBonjour } : {}),
    connections,
    persist: (records) =>
      parts.store.update((s) => {
        s.peers = records;
      }),
  });
  return discovery;
}
