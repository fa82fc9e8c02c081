/**
 * Mesh discovery: one service that feeds the registry from every source — mDNS on the LAN, the
 * tailnet, static agent URLs and plain service endpoints — checks liveness itself, and persists what
 * it knows so a restarted agent remembers its peers (and their MACs) before they answer.
 */
import type { Clock, CancelTimer } from '../agent/clock.js';
import { describeError } from '../agent/errors.js';
import type { Service } from '../agent/lifecycle.js';
import type { Logger } from '../agent/log.js';
import { createCandidateVerifier } from './candidates.js';
import type { ServiceEndpoint } from './endpoint-schema.js';
import { createEndpointNodes } from './endpoint-nodes.js';
import { createAdvertNoise } from './advert-noise.js';
import { loggingClockSkew } from './clock-skew-log.js';
import { MAX_ENTRIES as MAX_MDNS_ENTRIES, createMdnsDiscovery, type MdnsDiscovery, type MdnsOptions } from './mdns.js';
import { createVerifyBackoff } from './verify-backoff.js';
import type { PeerClient } from './peer-client.js';
import { createPeerChecker } from './peer-checker.js';
import type { PeerRegistry } from './registry.js';
import { decodeTxt, encodeTxt, instanceName } from './txt-record.js';
import type { NodeRecord } from './types.js';

export interface DiscoveryOptions {
  selfId: string;
  hostname: string;
  port: number;
  meshFingerprint: string;
  /** The advert's change counter, for the TXT. */
  seq: () => number;
  mdns: { enabled: boolean; interfaces: readonly string[] };
  /** Static agent URLs (config + API), read again on each pass. */
  staticUrls: () => readonly string[];
  endpoints: () => readonly ServiceEndpoint[];
  /** Optional tailnet source, built by the caller (it owns the exec and filters). */
  tailnet?: Service;
  healthIntervalMs: number;
  peerTimeoutMs: number;
  /** How often unresolved static URLs are tried again. */
  staticRetryMs: number;
  servicesIntervalMs: number;
  registry: PeerRegistry;
  client: PeerClient;
  clock: Clock;
  fetch: typeof fetch;
  log: Logger;
  createBonjour?: MdnsOptions['createBonjour'];
  /** Persists the registry (debounced by this service). */
  persist: (records: NodeRecord[]) => Promise<void>;
}

export interface Discovery extends Service {
  /** Re-reads static URLs and endpoints now (after an API change). */
  refreshStatic(): void;
  /** Tells peers that the advert changed (republishes the TXT, rate-limited). */
  advertChanged(): void;
  /** A tailnet source reports its current peers here. */
  tailnetPeers(peers: readonly { url: string }[]): void;
}

const PERSIST_DEBOUNCE_MS = 1000;
/** A failed mDNS candidate waits 30 s, then 1, 2, 4 … up to 30 min, before it is fetched again. */
const VERIFY_BACKOFF_BASE_MS = 30_000;
const VERIFY_BACKOFF_MAX_MS = 30 * 60_000;
/** Each verification may download up to 256 KB (peer-client.ts); a flood must not start thousands. */
const MAX_MDNS_VERIFYING = 8;
const TXT_REPUBLISH_MIN_MS = 60_000;

export function createDiscovery(opts: DiscoveryOptions): Discovery {
  const { registry, clock, log } = opts;
  const client = loggingClockSkew(opts.client, log);
  const verifier = createCandidateVerifier({ client, registry, clock, log, selfId: opts.selfId });
  const checker = createPeerChecker({ registry, client, clock, log: log.child('health'), intervalMs: opts.healthIntervalMs, timeoutMs: opts.peerTimeoutMs });
  const endpoints = createEndpointNodes({ registry, fetch: opts.fetch, clock, log: log.child('endpoints'), intervalMs: opts.servicesIntervalMs, timeoutMs: opts.peerTimeoutMs * 2 });
  const instanceToNode = new Map<string, string>();
  const noise = createAdvertNoise({ clock, log: log.child('mdns') });
  const backoff = createVerifyBackoff({ baseMs: VERIFY_BACKOFF_BASE_MS, maxMs: VERIFY_BACKOFF_MAX_MS, maxEntries: 1024 });
  let mdnsVerifying = 0;
  let mdns: MdnsDiscovery | null = null;
  let abort: AbortController | null = null;
  let cancelStatic: CancelTimer | null = null;
  let cancelPersist: CancelTimer | null = null;
  let cancelRepublish: CancelTimer | null = null;
  let lastRepublishMs = 0;
  let tailnetUrls = new Set<string>();
  const unsubscribe: (() => void)[] = [];
  let running = false;

  const verify = (candidate: Parameters<typeof verifier.verify>[0]): void => {
    const signal = abort?.signal;
    if (!signal || signal.aborted) return;
    void verifier.verify(candidate, signal); // never rejects: failures are logged inside
  };

  /**
   * Issue 11: a LAN host can send any number of adverts. Only members of this mesh are kept, the
   * rest are counted and summarised once a minute; an address list whose verification failed waits
   * (verify-backoff.ts); at most MAX_MDNS_VERIFYING verifications run at once.
   */
  const onSighting: MdnsOptions['onSighting'] = (s) => {
    const decoded = decodeTxt(s.txt);
    if (!decoded.ok) {
      noise.ignored(s.source, `malformed: ${decoded.reason}`, { instance: s.instance.slice(0, 100) });
      return false;
    }
    const { nodeId, meshFingerprint, seq } = decoded.value;
    if (nodeId === opts.selfId) return true;
    if (meshFingerprint !== opts.meshFingerprint) {
      noise.ignored(s.source, `another mesh (${meshFingerprint})`, { instance: s.instance.slice(0, 100) });
      return false;
    }
    const urls = s.addresses.map((a) => `http://${a}:${s.port}`);
    const known = registry.get(nodeId);
    const knownUrls = new Set(known?.paths.map((p) => p.url));
    if (known && known.state === 'up' && known.seq === seq && urls.some((u) => knownUrls.has(u))) {
      rememberInstance(s.instance, nodeId);
      return true;
    }
    const key = urls.join(',');
    if (backoff.blocked(key, clock.nowMs())) return false;
    if (mdnsVerifying >= MAX_MDNS_VERIFYING) {
      noise.ignored(s.source, 'too many adverts to verify at once', { instance: s.instance.slice(0, 100) });
      return false;
    }
    rememberInstance(s.instance, nodeId);
    const signal = abort?.signal;
    if (!signal || signal.aborted) return true;
    mdnsVerifying++;
    void verifier
      .verify({ urls, source: 'mdns', expectedNodeId: nodeId }, signal)
      .then((admitted) => {
        if (admitted === null) {
          backoff.failed(key, clock.nowMs());
          // The browser reports an unchanged advert only once: forgotten, its next announcement
          // (or answer to our requery) is seen again, and the backoff decides.
          mdns?.forget(s.instance);
        } else backoff.succeeded(key);
      })
      .finally(() => mdnsVerifying--); // verify never rejects: failures are logged inside
    return true;
  };

  /** Bounded like the browser's entries (mdns.ts): a flood of names cannot grow it. */
  const rememberInstance = (instance: string, nodeId: string): void => {
    instanceToNode.delete(instance);
    if (instanceToNode.size >= MAX_MDNS_ENTRIES) {
      const oldest = instanceToNode.keys().next();
      if (!oldest.done) instanceToNode.delete(oldest.value);
    }
    instanceToNode.set(instance, nodeId);
  };

  const onGoodbye = (instance: string): void => {
    const nodeId = instanceToNode.get(instance);
    if (nodeId) void checker.checkNow(nodeId); // never rejects
  };

  const resolveStatic = (): void => {
    const present = new Set(registry.snapshot().flatMap((n) => n.paths.map((p) => p.url)));
    for (const url of opts.staticUrls()) if (!present.has(url)) verify({ urls: [url], source: 'static' });
  };

  const staticLoop = (): void => {
    if (!running) return;
    cancelStatic = clock.setTimeout(() => {
      resolveStatic();
      staticLoop();
    }, opts.staticRetryMs);
  };

  const schedulePersist = (): void => {
    if (cancelPersist || !running) return;
    cancelPersist = clock.setTimeout(() => {
      cancelPersist = null;
      const records = registry.snapshot().filter((n) => n.nodeId !== opts.selfId);
      opts.persist(records).catch((err: unknown) => log.warn('could not save the peer list', { error: describeError(err) }));
    }, PERSIST_DEBOUNCE_MS);
  };

  return {
    name: 'discovery',
    async start(signal) {
      if (signal.aborted || running) return;
      running = true;
      abort = new AbortController();
      for (const event of ['node-added', 'node-updated', 'node-state', 'node-removed'] as const) unsubscribe.push(registry.on(event, schedulePersist));
      const logState = (node: NodeRecord, from: string): void => {
        if (node.nodeId === opts.selfId) return;
        const reason = node.state === 'up' ? undefined : node.paths.find((p) => p.lastError)?.lastError;
        const fields = { id: node.nodeId.slice(0, 8), from, via: node.activeUrl ?? undefined, reason: reason ?? undefined };
        if (node.state === 'up') log.info(`peer ${node.name} is up`, fields);
        else log.warn(`peer ${node.name} is ${node.state}`, fields);
      };
      unsubscribe.push(registry.on('node-state', ({ node, from }) => logState(node, from)));
      unsubscribe.push(registry.on('node-added', ({ node }) => node.state === 'up' && logState(node, 'new')));
      await checker.start(signal);
      endpoints.set(opts.endpoints());
      await endpoints.start(signal);
      if (opts.mdns.enabled) {
        mdns = createMdnsDiscovery({
          interfaces: opts.mdns.interfaces,
          instanceName: instanceName(opts.hostname, opts.selfId),
          port: opts.port,
          txt: () => encodeTxt({ nodeId: opts.selfId, meshFingerprint: opts.meshFingerprint, seq: opts.seq() }),
          clock,
          log: log.child('mdns'),
          onSighting,
          onGoodbye,
          ...(opts.createBonjour ? { createBonjour: opts.createBonjour } : {}),
        });
        await mdns.start(signal);
        lastRepublishMs = clock.nowMs();
      }
      if (opts.tailnet) await opts.tailnet.start(signal);
      resolveStatic();
      staticLoop();
    },
    refreshStatic() {
      if (!running) return;
      const urls = new Set(opts.staticUrls());
      // A static URL removed through the API: drop its path (and the node, if that was its only one).
      for (const node of registry.snapshot()) for (const p of node.paths) if (p.source === 'static' && !urls.has(p.url)) registry.removePath(node.nodeId, p.url);
      endpoints.set(opts.endpoints());
      resolveStatic();
    },
    advertChanged() {
      if (!running || !mdns || cancelRepublish) return;
      const waitMs = Math.max(0, lastRepublishMs + TXT_REPUBLISH_MIN_MS - clock.nowMs());
      cancelRepublish = clock.setTimeout(() => {
        cancelRepublish = null;
        lastRepublishMs = clock.nowMs();
        mdns?.republish();
      }, waitMs);
    },
    tailnetPeers(peers) {
      if (!running) return;
      const next = new Set(peers.map((p) => p.url));
      for (const node of registry.snapshot()) for (const p of node.paths) if (p.source === 'tailnet' && !next.has(p.url)) registry.removePath(node.nodeId, p.url);
      for (const url of next) if (!tailnetUrls.has(url) || !registry.snapshot().some((n) => n.paths.some((p) => p.url === url))) verify({ urls: [url], source: 'tailnet' });
      tailnetUrls = next;
    },
    async stop() {
      if (!running) return;
      running = false;
      abort?.abort(new Error('stopping'));
      cancelStatic?.();
      cancelStatic = null;
      cancelRepublish?.();
      cancelRepublish = null;
      // mDNS goodbye first, so peers stop routing here before the HTTP server closes.
      await mdns?.stop();
      mdns = null;
      noise.stop();
      await opts.tailnet?.stop();
      await endpoints.stop();
      await checker.stop();
      for (const off of unsubscribe.splice(0)) off();
      if (cancelPersist) {
        cancelPersist();
        cancelPersist = null;
        await opts.persist(registry.snapshot().filter((n) => n.nodeId !== opts.selfId)).catch(() => undefined);
      }
    },
  };
}
