/**
 * The peer registry: one view of every node merged from all sources and deduplicated by nodeId.
 * Pure state, no I/O and no timers: time arrives as `nowMs` with each input, states come from our
 * own health checks (bonjour-service never reports a crashed peer as down, TOOLCHAIN.md), and every
 * change is announced as a typed event for the elector, the UI and persistence.
 */
import { createEmitter, type Unsubscribe } from '../agent/kernel/events.js';
import { compareIds, compareNames } from '../agent/kernel/compare-text.js';
import type { Logger } from '../agent/kernel/log.js';
import type { NodeAdvert } from './advert.js';
import type { NodeRecord, NodeState, PeerPath, PeerSource } from './types.js';

export type PathCheck =
  /** `addr`: the `ip:port` the node proved it answers on (peer-auth.ts). */
  | { ok: true; seq: number; addr?: string | undefined }
  /** `definitive`: the peer is certainly not serving (connection refused, or it said it is leaving). */
  | { ok: false; error: string; definitive: boolean; clockOffsetMs?: number | null };

export interface RegistryEvents extends Record<string, unknown> {
  'node-added': { node: NodeRecord };
  'node-updated': { node: NodeRecord };
  'node-state': { node: NodeRecord; from: NodeState; to: NodeState };
  'node-removed': { nodeId: string };
}

export interface PeerRegistry {
  snapshot(): NodeRecord[];
  get(nodeId: string): NodeRecord | undefined;
  /** This node: always up, always first. */
  setSelf(advert: NodeAdvert, seq: number, url: string, nowMs: number): void;
  /** A peer that proved membership and sent its advert over `path`. */
  upsertMember(input: { advert: NodeAdvert; seq: number; source: PeerSource; url: string; nowMs: number; addr?: string | undefined }): void;
  /** The result of one health check of one path. */
  recordCheck(nodeId: string, url: string, result: PathCheck, nowMs: number): void;
  /**
   * A sign of life from outside our own checks (a signed request from it, a relayed answer): it
   * keeps a node from going down for silence. Quiet on purpose: no event, no version change.
   */
  sawAlive(nodeId: string, nowMs: number): void;
  /** Forgets one path (a static peer removed, a tailnet peer gone); a node without paths is removed. */
  removePath(nodeId: string, url: string): void;
  remove(nodeId: string): void;
  /** Nodes from the last run (state.json): known, with MACs, but down until they answer. */
  restore(records: readonly NodeRecord[]): void;
  on<K extends keyof RegistryEvents>(event: K, listener: (payload: RegistryEvents[K]) => void): Unsubscribe;
  /** Changes whenever anything in the registry does (for callers that cache what they derive). */
  version(): number;
}

/** LAN paths first: lower latency, and they work when the tailnet is down (issue 3 §2). */
const PREFERENCE: Record<PeerSource, number> = { self: 0, mdns: 1, static: 2, peer: 3, tailnet: 4, endpoint: 5 };

export function createPeerRegistry(opts: { selfId: string; downAfterMs: number; log: Logger }): PeerRegistry {
  const nodes = new Map<string, NodeRecord>();
  let version = 0;
  const events = createEmitter<RegistryEvents>((err) => opts.log.error('registry listener failed', { error: String(err) }));

  const publish = (before: NodeRecord | undefined, after: NodeRecord): void => {
    nodes.set(after.nodeId, after);
    if (!before) {
      version++;
      events.emit('node-added', { node: after });
      return;
    }
    if (before.state !== after.state) {
      version++;
      events.emit('node-state', { node: after, from: before.state, to: after.state });
    } else if (!sameButTimes(before, after)) {
      version++;
      events.emit('node-updated', { node: after });
    }
    // Only the times of the last check moved: kept, but told to no one. Every successful health
    // check is one of these; announcing each made every agent re-elect, re-render and persist once
    // per peer per second, a cost that grew with the square of the mesh (issue 17).
  };

  const withState = (node: NodeRecord, nowMs: number, definitive: boolean): NodeRecord => {
    const paths = [...node.paths].sort((a, b) => PREFERENCE[a.source] - PREFERENCE[b.source]);
    const healthy = paths.find((p) => p.ok === true);
    let state: NodeState;
    if (healthy) state = 'up';
    else if (node.state === 'down') state = 'down'; // down → up only through a successful check
    else if (definitive && paths.every((p) => p.ok === false)) state = 'down';
    else if (node.lastSeenMs !== null && nowMs - node.lastSeenMs < opts.downAfterMs) state = 'suspect';
    else state = 'down';
    return {
      ...node,
      paths,
      state,
      activeUrl: healthy?.url ?? null,
      sources: [...new Set(paths.map((p) => p.source))],
      addresses: [...new Set(paths.map((p) => hostOf(p.url)))],
      downSinceMs: state === 'down' ? (node.state === 'down' ? node.downSinceMs : nowMs) : null,
    };
  };

  const emptyRecord = (nodeId: string, name: string): NodeRecord => ({
    nodeId,
    name,
    state: 'down',
    sources: [],
    addresses: [],
    macs: [],
    lastSeenMs: null,
    downSinceMs: null,
    seq: 0,
    activeUrl: null,
    paths: [],
    advert: null,
  });

  return {
    snapshot: () =>
      [...nodes.values()].sort((a, b) =>
        a.nodeId === opts.selfId ? -1 : b.nodeId === opts.selfId ? 1 : compareNames(a.name, b.name) || compareIds(a.nodeId, b.nodeId),
      ),
    get: (nodeId) => nodes.get(nodeId),

    setSelf(advert, seq, url, nowMs) {
      const before = nodes.get(opts.selfId);
      publish(before, {
        ...emptyRecord(opts.selfId, advert.name),
        state: 'up',
        sources: ['self'],
        addresses: [hostOf(url)],
        macs: macsOf(advert),
        lastSeenMs: nowMs,
        seq,
        activeUrl: url,
        paths: [{ source: 'self', url, ok: true, lastOkMs: nowMs, lastError: null }],
        advert,
      });
    },

    upsertMember({ advert, seq, source, url, nowMs, addr }) {
      if (advert.nodeId === opts.selfId) return;
      const before = nodes.get(advert.nodeId);
      // A signed answer came back, so the clocks agree again: any recorded skew is over.
      const { clockOffsetMs: _over, ...base } = before ?? emptyRecord(advert.nodeId, advert.name);
      // Hearsay ('peer') confirms a path, but never relabels one we found ourselves: a static path
      // must stay removable as static, an mDNS one keeps its preference.
      const existing = base.paths.find((p) => p.url === url);
      const kept = source === 'peer' && existing && existing.source !== 'peer' ? existing.source : source;
      const path: PeerPath = { source: kept, url, ok: true, lastOkMs: nowMs, lastError: null, proven: true, ...(addr ? { addr } : {}) };
      const paths = [...base.paths.filter((p) => p.url !== url), path];
      publish(before, withState({ ...base, name: advert.name, advert, seq, macs: macsOf(advert), lastSeenMs: nowMs, paths }, nowMs, false));
    },

    recordCheck(nodeId, url, result, nowMs) {
      const before = nodes.get(nodeId);
      if (!before || nodeId === opts.selfId) return;
      const paths = before.paths.map((p) =>
        p.url !== url
          ? p
          : result.ok
            ? { ...p, ok: true, lastOkMs: nowMs, lastError: null, proven: true, ...(result.addr ? { addr: result.addr } : {}) }
            : { ...p, ok: false, lastError: result.error },
      );
      const lastSeenMs = result.ok ? nowMs : before.lastSeenMs;
      const { clockOffsetMs: _previous, ...rest } = before;
      const skew = !result.ok && typeof result.clockOffsetMs === 'number' ? { clockOffsetMs: result.clockOffsetMs } : {};
      publish(before, withState({ ...rest, ...skew, paths, lastSeenMs }, nowMs, !result.ok && result.definitive));
    },

    sawAlive(nodeId, nowMs) {
      const node = nodes.get(nodeId);
      if (!node || nodeId === opts.selfId || (node.lastSeenMs ?? 0) >= nowMs) return;
      nodes.set(nodeId, { ...node, lastSeenMs: nowMs });
    },

    removePath(nodeId, url) {
      const before = nodes.get(nodeId);
      if (!before || nodeId === opts.selfId) return;
      const paths = before.paths.filter((p) => p.url !== url);
      if (paths.length === 0) {
        nodes.delete(nodeId);
        version++;
        events.emit('node-removed', { nodeId });
        return;
      }
      publish(before, withState({ ...before, paths }, before.lastSeenMs ?? 0, false));
    },

    remove(nodeId) {
      if (nodeId === opts.selfId || !nodes.delete(nodeId)) return;
      version++;
      events.emit('node-removed', { nodeId });
    },

    restore(records) {
      for (const r of records) {
        if (r.nodeId === opts.selfId || nodes.has(r.nodeId)) continue;
        const saved = r.paths.filter((p) => p.source !== 'self');
        if (saved.length === 0) continue;
        // Only proven paths come back: one saved before the address proof may lead through a relay
        // (issue 10 §3). The node itself stays known (its MACs wake it); it is found again by mDNS,
        // the tailnet or its static URL.
        const paths = saved.filter((p) => p.proven === true || p.source === 'endpoint').map((p) => ({ ...p, ok: null }));
        const addresses = [...new Set(paths.map((p) => hostOf(p.url)))];
        publish(undefined, { ...r, paths, addresses, sources: [...new Set(paths.map((p) => p.source))], state: 'down', activeUrl: null, downSinceMs: r.downSinceMs ?? r.lastSeenMs });
      }
    },

    on: (event, listener) => events.on(event, listener),
    version: () => version,
  };
}

/** Equal but for when it was last seen or last answered on a path (the advert compared by reference first: it is replaced, never edited). */
function sameButTimes(a: NodeRecord, b: NodeRecord): boolean {
  const strip = (n: NodeRecord) => ({ ...n, lastSeenMs: 0, advert: null, paths: n.paths.map((p) => ({ ...p, lastOkMs: 0 })) });
  if (a.advert !== b.advert && JSON.stringify(a.advert) !== JSON.stringify(b.advert)) return false;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function macsOf(advert: NodeAdvert): string[] {
  return [...new Set((advert.network?.interfaces ?? []).filter((i) => !i.internal && i.mac).map((i) => i.mac as string))];
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return url;
  }
}
