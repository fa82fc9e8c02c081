/**
 * Mesh discovery: one service that feeds the registry from every source — mDNS on the LAN, the
 * tailnet, static agent URLs and plain service endpoints — checks liveness itself, and persists what
 * it knows so a restarted agent remembers its peers (and their MACs) before they answer.
 */
import { setMaxListeners } from 'node:events';
import type { KindId } from '../agent/kernel/kinds.js';
import type { ServiceProbe } from '../agent/kernel/shapes/facts.js';
import type { Clock, CancelTimer } from '../agent/kernel/clock.js';
import { describeError } from '../agent/kernel/errors.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import { createCandidateVerifier, type Candidate } from './candidates.js';
import type { ServiceEndpoint } from './endpoint-schema.js';
import { createEndpointNodes } from './endpoint-nodes.js';
import { createAdvertNoise } from './advert-noise.js';
import { loggingClockSkew } from './clock-skew-log.js';
import { MAX_ENTRIES as MAX_MDNS_ENTRIES, createMdnsDiscovery, type MdnsDiscovery, type MdnsOptions } from './mdns.js';
import { createVerifyBackoff } from './verify-backoff.js';
import { MAX_CALLS_IN_FLIGHT, type PeerClient } from './peer-client.js';
import { createPeerChecker } from './peer-checker.js';
import type { PeerRegistry } from './registry.js';
import { decodeTxt, encodeTxt, instanceName } from './txt-record.js';
import { hostPort } from './peer-address.js';
import { AgentError } from '../agent/kernel/errors.js';
import type { Settings } from '../agent/kernel/shapes/settings.js';
import type { SettingsView } from '../agent/kernel/shapes/settings.js';
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
  maxChecksPerSec: number;
  peerTimeoutMs: number;
  /** Nodes that serve a kind now: health-checked first. */
  serving: () => ReadonlySet<string>;
  /** How often unresolved static URLs are tried again. */
  staticRetryMs: number;
  servicesIntervalMs: number;
  registry: PeerRegistry;
  client: PeerClient;
  clock: Clock;
  fetch: typeof fetch;
  /** The probe of each service kind, for plain endpoints (agent/probe/services.ts). */
  probes: Readonly<Record<KindId, ServiceProbe>>;
  log: Logger;
  createBonjour?: MdnsOptions['createBonjour'];
  /** Persists the registry (once it settles: PERSIST_SETTLE_MS). */
  persist: (records: NodeRecord[]) => Promise<void>;
  /** The peer client's pooled connections, closed on stop (peer-transport.ts). */
  connections?: { close(): void };
}

/** A verified signed request from a member (peer protocol or relay): it is alive, and reachable there. */
export interface PeerSighting {
  nodeId: string;
  /** The request's source address (the socket's remote address). */
  address: string;
  /** The agent port it says it listens on (`x-im-port`); verified before use. */
  port: number | null;
  /** Its advert's change counter (`x-im-seq`), when sent. */
  seq: number | null;
  /**
   * The connection it came on: when it closes (a crash closes every socket of the process at
   * once), the member is checked at once rather than when its next check is due.
   */
  connection?: { once(event: 'close', listener: () => void): unknown };
}

export interface Discovery extends Service {
  /**
   * A member's settings (issue 16), read or changed over the peer protocol at the address it
   * proved, addressed to it alone.
   * @throws PeerCallError (not up, refused, unreachable …), or AgentError `node_unknown`.
   */
  settingsOf(nodeId: string, change?: Settings): Promise<SettingsView>;
  /** A member's signed request arrived: a sign of life, or a sighting of a node we do not know yet (issue 17). */
  peerSighted(sighting: PeerSighting): void;
  /** Re-reads static URLs and endpoints now (after an API change). */
  refreshStatic(): void;
  /**
   * A kept-alive connection to `origin` (`http://ip:port`) closed by itself (peer-transport.ts): the
   * nodes reached there are checked now, so a crashed agent is seen down within moments, whatever
   * the interval of its regular checks.
   */
  connectionClosed(origin: string): void;
  /** Tells peers that the advert changed (republishes the TXT, rate-limited). */
  advertChanged(): void;
  /** A tailnet source reports its current peers here. */
  tailnetPeers(peers: readonly { url: string }[]): void;
}

/**
 * The peer list is written once it has been still this long, at most PERSIST_MAX_WAIT_MS after the
 * first unsaved change. Each write validates and writes the whole state, every peer's advert
 * included: written each second while a mesh formed, it cost each of 20 agents on 2 cores several
 * writes of 19 adverts at the busiest moment (issue 17). It is a cache for the next start (stop
 * writes what is pending), so a few seconds of delay lose nothing that matters.
 */
const PERSIST_SETTLE_MS = 3000;
const PERSIST_MAX_WAIT_MS = 15_000;
/** A failed mDNS candidate waits 30 s, then 1, 2, 4 … up to 30 min, before it is fetched again. */
const VERIFY_BACKOFF_BASE_MS = 30_000;
const VERIFY_BACKOFF_MAX_MS = 30 * 60_000;
/**
 * Each verification may download up to 256 KB (peer-client.ts); a flood must not start thousands.
 * But after a power cut every member of a home lab is new at once: with 8, a 20-agent mesh waited
 * for slow first answers in turn (issue 17); 24 × 256 KB is still only 6 MB.
 */
const MAX_MDNS_VERIFYING = 24;
const TXT_REPUBLISH_MIN_MS = 60_000;
/**
 * A candidate that gave no definite answer (refused, timed out: after a power cut every machine is
 * busy starting) is asked again after these delays; an mDNS announcement is heard once, so without
 * this a missed first answer waited for the next TXT change (issue 17).
 */
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16_000] as const;
/** A member told of by another (a request, an advert) is verified at most this often. */
const HEARSAY_MIN_INTERVAL_MS = 5000;
/** Retries waiting at once: a flood of adverts that never answer must not pile them up. */
const MAX_PENDING_RETRIES = 64;

export function createDiscovery(opts: DiscoveryOptions): Discovery {
  const { registry, clock, log } = opts;
  const client = loggingClockSkew(opts.client, log);
  const verifier = createCandidateVerifier({ client, registry, clock, log, selfId: opts.selfId, onRoundTrip: (url, ms) => checker.sawRoundTrip(url, ms) });
  const checker = createPeerChecker({
    registry,
    client,
    clock,
    log: log.child('health'),
    intervalMs: opts.healthIntervalMs,
    timeoutMs: opts.peerTimeoutMs,
    maxChecksPerSec: opts.maxChecksPerSec,
    serving: opts.serving,
  });
  const endpoints = createEndpointNodes({ registry, probes: opts.probes, fetch: opts.fetch, clock, log: log.child('endpoints'), intervalMs: opts.servicesIntervalMs, timeoutMs: opts.peerTimeoutMs * 2 });
  const instanceToNode = new Map<string, string>();
  const noise = createAdvertNoise({ clock, log: log.child('mdns') });
  const backoff = createVerifyBackoff({ baseMs: VERIFY_BACKOFF_BASE_MS, maxMs: VERIFY_BACKOFF_MAX_MS, maxEntries: 1024 });
  let mdnsVerifying = 0;
  let mdns: MdnsDiscovery | null = null;
  let abort: AbortController | null = null;
  let cancelStatic: CancelTimer | null = null;
  let cancelPersist: CancelTimer | null = null;
  /** When the oldest change not yet written happened (PERSIST_MAX_WAIT_MS). */
  let firstUnsavedAtMs = 0;
  let cancelRepublish: CancelTimer | null = null;
  let lastRepublishMs = 0;
  let tailnetUrls = new Set<string>();
  const unsubscribe: (() => void)[] = [];
  const retryTimers = new Set<CancelTimer>();
  /** Connections of members' requests already watched for their close. */
  const watchedConnections = new WeakSet<object>();
  /** Keyed by node id: when hearsay about it was last verified. */
  const hearsayAtMs = new Map<string, number>();
  let running = false;

  /**
   * Arms the retry after `attempt` (RETRY_DELAYS_MS), unless there are no retries left, the service
   * stopped or too many wait already; the retry is skipped when the node came up meanwhile.
   * Returns whether one was armed.
   */
  const retryLater = (candidate: Candidate, attempt: number, again: () => void): boolean => {
    const delayMs = RETRY_DELAYS_MS[attempt];
    if (delayMs === undefined || !running || retryTimers.size >= MAX_PENDING_RETRIES) return false;
    const cancel = clock.setTimeout(() => {
      retryTimers.delete(cancel);
      if (candidate.expectedNodeId && registry.get(candidate.expectedNodeId)?.state === 'up') return;
      again();
    }, delayMs);
    retryTimers.add(cancel);
    return true;
  };

  /** A static URL, the tailnet or hearsay: verified, and asked again soon while there is no definite answer (issue 17). */
  const verify = (candidate: Candidate, attempt = 0): void => {
    const signal = abort?.signal;
    if (!signal || signal.aborted) return;
    // Never rejects: failures are logged inside.
    void verifier.verify(candidate, signal).then((outcome) => {
      if (outcome.admitted === null && outcome.retry) retryLater(candidate, attempt, () => verify(candidate, attempt + 1));
    });
  };

  /** Hearsay (another member's request or advert) about a node: verify it directly, at most every few seconds. */
  const verifyHearsay = (nodeId: string, url: string): void => {
    if (nodeId === opts.selfId || registry.get(nodeId)?.state === 'up') return;
    const nowMs = clock.nowMs();
    if (nowMs - (hearsayAtMs.get(nodeId) ?? -Infinity) < HEARSAY_MIN_INTERVAL_MS) return;
    if (hearsayAtMs.size > 1024) hearsayAtMs.clear(); // bounded: a mesh is small, a flood is not
    hearsayAtMs.set(nodeId, nowMs);
    verify({ urls: [url], source: 'peer', expectedNodeId: nodeId });
  };

  /** The members a peer's advert lists: one sighting of any member finds the rest (issue 17). */
  const onAdvert = ({ node }: { node: NodeRecord }): void => {
    if (node.nodeId === opts.selfId || node.state !== 'up') return;
    for (const m of node.advert?.members ?? []) verifyHearsay(m.nodeId, `http://${m.addr}`);
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
    // Known at one of these addresses already (unless only by hearsay: then the mDNS path is recorded as such).
    const knownFromHere = known?.paths.some((p) => p.source !== 'peer' && urls.includes(p.url)) ?? false;
    if (known && known.state === 'up' && known.seq === seq && knownFromHere) {
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
    verifyMdns({ urls, source: 'mdns', expectedNodeId: nodeId }, key, s.instance, 0);
    return true;
  };

  /**
   * One verification of an mDNS advert, within the MAX_MDNS_VERIFYING budget. No definite answer (a
   * peer still starting, as after a power cut) → asked again after RETRY_DELAYS_MS (issue 17); a
   * definite refusal, or no answer after every retry → the backoff decides when it is tried again,
   * and the browser forgets it so its next announcement is seen (issue 11).
   */
  const verifyMdns = (candidate: Candidate, key: string, instance: string, attempt: number): void => {
    const signal = abort?.signal;
    if (!signal || signal.aborted) return;
    mdnsVerifying++;
    void verifier
      .verify(candidate, signal)
      .then((outcome) => {
        if (outcome.admitted !== null) {
          backoff.succeeded(key);
          return;
        }
        // A refusal, no retry left, or too busy to ask again: the backoff decides when it is tried
        // again, and the browser forgets it (it reports an unchanged advert only once), so its next
        // announcement or answer to our requery is seen again.
        const giveUp = (): void => {
          backoff.failed(key, clock.nowMs());
          mdns?.forget(instance);
        };
        const again = (): void => (mdnsVerifying < MAX_MDNS_VERIFYING ? verifyMdns(candidate, key, instance, attempt + 1) : giveUp());
        if (!outcome.retry || !retryLater(candidate, attempt, again)) giveUp();
      })
      .finally(() => mdnsVerifying--); // verify never rejects: failures are logged inside
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
    if (!running) return;
    const nowMs = clock.nowMs();
    if (cancelPersist) cancelPersist();
    else firstUnsavedAtMs = nowMs;
    cancelPersist = clock.setTimeout(
      () => {
        cancelPersist = null;
        const records = registry.snapshot().filter((n) => n.nodeId !== opts.selfId);
        opts.persist(records).catch((err: unknown) => log.warn('could not save the peer list', { error: describeError(err) }));
      },
      Math.max(0, Math.min(PERSIST_SETTLE_MS, firstUnsavedAtMs + PERSIST_MAX_WAIT_MS - nowMs)),
    );
  };

  return {
    name: 'discovery',
    async start(signal) {
      if (signal.aborted || running) return;
      running = true;
      abort = new AbortController();
      // Every call in flight (checks, verifications: bounded, but dozens at once after a power cut)
      // listens to this signal; Node warns past 10.
      setMaxListeners(MAX_CALLS_IN_FLIGHT, abort.signal);
      for (const event of ['node-added', 'node-updated', 'node-state', 'node-removed'] as const) unsubscribe.push(registry.on(event, schedulePersist));
      for (const event of ['node-added', 'node-updated', 'node-state'] as const) unsubscribe.push(registry.on(event, onAdvert));
      const logState = (node: NodeRecord, from: string): void => {
        if (node.nodeId === opts.selfId) return;
        const reason = node.state === 'up' ? undefined : node.paths.find((p) => p.lastError)?.lastError;
        const fields = { id: node.nodeId.slice(0, 8), from, via: node.activeUrl ?? undefined, reason: reason ?? undefined };
        if (node.state === 'up') log.info(`peer ${node.name} is up`, fields);
        else log.warn(`peer ${node.name} is ${node.state}`, fields);
      };
      unsubscribe.push(registry.on('node-state', ({ node, from }) => logState(node, from)));
      // Our requeries list the adverts held (known answers, RFC 6762 §7.1), which silences their
      // owners: a member that went down is dropped from them, so its next answer is heard.
      unsubscribe.push(
        registry.on('node-state', ({ node }) => {
          if (node.state !== 'down') return;
          for (const [instance, nodeId] of instanceToNode) if (nodeId === node.nodeId) mdns?.forget(instance);
        }),
      );
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
    async settingsOf(nodeId, change) {
      const node = registry.get(nodeId);
      if (!node || node.sources.includes('endpoint')) throw new AgentError('node_unknown', `no agent with node id ${nodeId} in this mesh`, { httpStatus: 404 });
      if (node.state !== 'up' || !node.activeUrl) throw new AgentError('node_down', `${node.name} is ${node.state} and cannot be set up from here now`, { httpStatus: 503 });
      return opts.client.settings(node.activeUrl, nodeId, change);
    },
    peerSighted(s) {
      if (!running || s.nodeId === opts.selfId) return;
      const known = registry.get(s.nodeId);
      if (s.connection && !watchedConnections.has(s.connection)) {
        watchedConnections.add(s.connection);
        s.connection.once('close', () => {
          if (running && registry.get(s.nodeId)?.state === 'up') void checker.checkNow(s.nodeId); // never rejects
        });
      }
      if (known?.state === 'up') {
        registry.sawAlive(s.nodeId, clock.nowMs());
        if (s.seq !== null && s.seq !== known.seq) void checker.checkNow(s.nodeId); // never rejects
        return;
      }
      if (s.port !== null) verifyHearsay(s.nodeId, `http://${hostPort(s.address, s.port)}`);
    },
    connectionClosed(origin) {
      if (!running) return;
      for (const node of registry.snapshot()) {
        if (node.nodeId !== opts.selfId && node.state === 'up' && node.paths.some((p) => p.url === origin)) void checker.checkNow(node.nodeId); // never rejects
      }
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
      for (const cancel of retryTimers) cancel();
      retryTimers.clear();
      // mDNS goodbye first, so peers stop routing here before the HTTP server closes.
      await mdns?.stop();
      mdns = null;
      noise.stop();
      await opts.tailnet?.stop();
      await endpoints.stop();
      await checker.stop();
      opts.connections?.close();
      for (const off of unsubscribe.splice(0)) off();
      if (cancelPersist) {
        cancelPersist();
        cancelPersist = null;
        await opts.persist(registry.snapshot().filter((n) => n.nodeId !== opts.selfId)).catch(() => undefined);
      }
    },
  };
}
