/**
 * What both routed endpoints share: the ordered targets for a kind (the elected node first, then
 * the other eligible ones; nodes that just failed a request go last — passive health), the
 * suspect list, and the response headers every routed answer carries.
 */
import type { CancelTimer, Clock } from '../../agent/kernel/clock.js';
import { createEmitter, type Unsubscribe } from '../../agent/kernel/events.js';
import type { KindRouting, RoutingStatus, UnreachableNode } from '../../scheduler/routing-status.js';
import { KIND_IDS } from '../../agent/kernel/kinds.js';
import type { PeerRegistry } from '../../discovery/registry.js';
import type { Elector } from '../../scheduler/elector.js';
import type { KindId } from '../../agent/kernel/kinds.js';
import { targetFor, type Target } from './targets.js';

export interface Routing {
  /** Eligible targets in the order to try them; `batchOnly` keeps the nodes that may take batch work. */
  targets(kind: KindId, opts?: { model?: string; batchOnly?: boolean }): readonly Target[];
  /** Why nothing can serve (for the 503), from the candidates' reasons. */
  whyNone(kind: KindId, model?: string): string;
  /** A node failed a routed request: tried last for `suspectMs`, and shown as unreachable (issue 10 §4). */
  markSuspect(kind: KindId, nodeId: string, reason?: string): void;
  /** Per kind: where requests go first now, and which nodes are unreachable. */
  status(): RoutingStatus;
  /** Called when a node becomes unreachable or its time as such runs out. */
  onChange(listener: () => void): Unsubscribe;
  /** Clears the expiry timers. */
  stop(): void;
}

function compute(elector: Elector, registry: PeerRegistry, kind: KindId, o: { model?: string; batchOnly?: boolean }, selfId: string, localUrl: string | null): Target[] {
  const placement = elector.electFor(kind, o.model);
  const elected = o.batchOnly ? placement.batchElected : placement.elected;
  const eligible = placement.candidates.filter((c) => c.eligible && (!o.batchOnly || c.batch));
  const ordered = [...eligible.filter((c) => c.nodeId === elected), ...eligible.filter((c) => c.nodeId !== elected)];
  const byId = new Map(registry.snapshot().map((n) => [n.nodeId, n]));
  return ordered.flatMap((c) => {
    const node = byId.get(c.nodeId);
    const t = node ? targetFor(node, kind, selfId, localUrl) : null;
    return t ? [t] : [];
  });
}

export function createRouting(opts: {
  elector: () => Elector | null;
  registry: () => PeerRegistry | null;
  selfId: () => string;
  /** This node's own service URL of a kind, from its config; null when the kind is not enabled here. */
  localUrl: (kind: KindId) => string | null;
  clock: Clock;
  suspectMs: number;
}): Routing {
  /** Keyed by `kind:nodeId`. */
  const suspects = new Map<string, UnreachableNode & { cancel: CancelTimer }>();
  const changes = createEmitter<{ change: undefined }>(() => undefined);
  /**
   * Targets per (kind, model, class), reused while neither the registry nor the placement changed
   * and for at most a second (a window boundary): an election per request was a fifth of the
   * proxy's own time in bench:proxy.
   */
  const cache = new Map<string, { targets: readonly Target[]; registryVersion: number; placement: unknown; atMs: number }>();
  const isSuspect = (kind: KindId, nodeId: string): boolean => (suspects.get(`${kind}:${nodeId}`)?.untilMs ?? 0) > opts.clock.nowMs();
  const routing: Routing = {
    targets(kind, o = {}) {
      const elector = opts.elector();
      const registry = opts.registry();
      if (!elector || !registry) return []; // still starting
      const key = `${kind}|${o.model ?? ''}|${o.batchOnly ? 'batch' : ''}`;
      const nowMs = opts.clock.nowMs();
      const hit = cache.get(key);
      const fresh = hit && hit.registryVersion === registry.version() && hit.placement === elector.current() && nowMs - hit.atMs < 1000;
      const targets = fresh ? hit.targets : compute(elector, registry, kind, o, opts.selfId(), opts.localUrl(kind));
      if (!fresh) {
        if (cache.size > 256) cache.clear();
        cache.set(key, { targets, registryVersion: registry.version(), placement: elector.current(), atMs: nowMs });
      }
      // Shared, not copied, while no node is suspect: the usual case, and a request's cost (issue 14).
      if (suspects.size === 0) return targets;
      return [...targets.filter((t) => !isSuspect(kind, t.nodeId)), ...targets.filter((t) => isSuspect(kind, t.nodeId))];
    },
    whyNone(kind, model) {
      const elector = opts.elector();
      if (!elector) return 'the agent is still starting';
      const placement = elector.electFor(kind, model);
      if (placement.candidates.length === 0) return 'no node offers it';
      return placement.candidates.map((c) => `${c.name}: ${c.reason}`).join('; ');
    },
    markSuspect(kind, nodeId, reason = 'a routed request failed') {
      const key = `${kind}:${nodeId}`;
      const nowMs = opts.clock.nowMs();
      const before = suspects.get(key);
      before?.cancel();
      const name = opts.registry()?.get(nodeId)?.name ?? nodeId.slice(0, 8);
      // One timer per unreachable node, so the status clears on time even when no request comes.
      const cancel = opts.clock.setTimeout(() => {
        suspects.delete(key);
        changes.emit('change', undefined);
      }, opts.suspectMs);
      suspects.set(key, { nodeId, name, reason, sinceMs: before && before.untilMs > nowMs ? before.sinceMs : nowMs, untilMs: nowMs + opts.suspectMs, cancel });
      if (!before || before.reason !== reason) changes.emit('change', undefined);
    },
    status() {
      const nowMs = opts.clock.nowMs();
      const out = {} as RoutingStatus;
      for (const kind of KIND_IDS) {
        const first = routing.targets(kind)[0];
        const unreachable = [...suspects.entries()]
          .filter(([key, s]) => key.startsWith(`${kind}:`) && s.untilMs > nowMs)
          .map(([, { cancel: _cancel, ...u }]) => u);
        const k: KindRouting = { serving: first ? { nodeId: first.nodeId, name: first.name } : null, unreachable };
        out[kind] = k;
      }
      return out;
    },
    onChange: (listener) => changes.on('change', listener),
    stop() {
      for (const s of suspects.values()) s.cancel();
      suspects.clear();
    },
  };
  return routing;
}
