/**
 * The peer registry: one view of every node merged from all sources and deduplicated by nodeId.
 * Pure state, no I/O and no timers: time arrives as `nowMs` with each input, states come from our
 * own health checks (bonjour-service never reports a crashed peer as down, TOOLCHAIN.md), and every
 * change is announced as a typed event for the elector, the UI and persistence.
 */
import { createEmitter, type Unsubscribe } from '../agent/events.js';
import type { Logger } from '../agent/log.js';
import type { NodeAdvert } from '../agent/node-advert.js';
import type { NodeRecord, NodeState, PeerPath, PeerSource } from './types.js';

export type PathCheck =
  | { ok: true; seq: number }
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
  upsertMember(input: { advert: NodeAdvert; seq: number; source: PeerSource; url: string; nowMs: number }): void;
  /** The result of one health check of one path. */
  recordCheck(nodeId: string, url: string, result: PathCheck, nowMs: number): void;
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
const PREFERENCE: Record<PeerSource, number> = { self: 0, mdns: 1, static: 2, tailnet: 3, endpoint: 4 };

export function createPeerRegistry(opts: { selfId: string; downAfterMs: number; log: Logger }): PeerRegistry {
  const nodes = new Map<string, NodeRecord>();
  let version = 0;
  const events = createEmitter<RegistryEvents>((err) => opts.log.error('registry listener failed', { error: String(err) }));

  const publish = (before: NodeRecord | undefined, after: NodeRecord): void => {
    nodes.set(after.nodeId, after);
    version++;
    if (!before) {
      events.emit('node-added', { node: after });
      return;
    }
    if (before.state !== after.state) events.emit('node-state', { node: after, from: before.state, to: after.state });
    else if (JSON.stringify(before) !== JSON.stringify(after)) events.emit('node-updated', { node: after });
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
        a.nodeId === opts.selfId ? -1 : b.nodeId === opts.selfId ? 1 : a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId),
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

    upsertMember({ advert, seq, source, url, nowMs }) {
      if (advert.nodeId === opts.selfId) return;
      const before = nodes.get(advert.nodeId);
      // A signed answer came back, so the clocks agree again: any recorded skew is over.
      const { clockOffsetMs: _over, ...base } = before ?? emptyRecord(advert.nodeId, advert.name);
      const path: PeerPath = { source, url, ok: true, lastOkMs: nowMs, lastError: null };
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
            ? { ...p, ok: true, lastOkMs: nowMs, lastError: null }
            : { ...p, ok: false, lastError: result.error },
      );
      const lastSeenMs = result.ok ? nowMs : before.lastSeenMs;
      const { clockOffsetMs: _previous, ...rest } = before;
      const skew = !result.ok && typeof result.clockOffsetMs === 'number' ? { clockOffsetMs: result.clockOffsetMs } : {};
      publish(before, withState({ ...rest, ...skew, paths, lastSeenMs }, nowMs, !result.ok && result.definitive));
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
        const paths = r.paths.filter((p) => p.source !== 'self').map((p) => ({ ...p, ok: null }));
        if (paths.length === 0) continue;
        publish(undefined, { ...r, paths, state: 'down', activeUrl: null, downSinceMs: r.downSinceMs ?? r.lastSeenMs });
      }
    },

    on: (event, listener) => events.on(event, listener),
    version: () => version,
  };
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
