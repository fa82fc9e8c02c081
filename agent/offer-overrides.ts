/**
 * Offer overrides, mesh-wide (issue 12): `offer now` / `offer off` / `offer auto` may be set on any
 * agent for any node. The agent it is set on advertises it with the time it was set; the target node
 * adopts the newest one for itself into its own `offerOverride`, which is what every agent elects
 * from — so all agents agree, and the owner's own later `offer auto` beats an older remote `off`.
 */
import type { Clock } from './kernel/clock.js';
import { NotFoundError } from './kernel/errors.js';
import type { Unsubscribe } from './kernel/events.js';
import type { Service } from './kernel/lifecycle.js';
import type { Logger } from './kernel/log.js';
import type { Store } from './store.js';
import type { PeerRegistry } from '../discovery/registry.js';
import { newestOfferOverrideFor, type OfferOverride, type OfferOverrideFor } from './kernel/shapes/override.js';

export interface OfferOverrides extends Service {
  /** Sets an override for `nodeRef` (name or id; this node when absent); returns it as the node will advertise it (null for `auto`). */
  set(mode: OfferOverrideFor['mode'], forSec: number | null, nodeRef?: string): Promise<OfferOverride | null>;
}

export function createOfferOverrides(opts: { selfId: string; registry: PeerRegistry; store: Store; clock: Clock; log: Logger; changed: () => void }): OfferOverrides {
  const subscriptions: Unsubscribe[] = [];
  /** Every override any agent advertises, and ours. */
  const entries = (): OfferOverrideFor[] => [...opts.store.get().overrides.offerFor, ...opts.registry.snapshot().flatMap((n) => n.advert?.offerOverrides ?? [])];
  const upsert = (list: OfferOverrideFor[], e: OfferOverrideFor): OfferOverrideFor[] => [...list.filter((x) => x.nodeId !== e.nodeId), e];
  const asOwn = (e: OfferOverrideFor): OfferOverride | null => (e.mode === 'auto' ? null : { mode: e.mode, untilMs: e.untilMs, setAtMs: e.setAtMs });

  /** A newer override for this node set on another agent: make it ours, and advertise it. */
  const adopt = async (): Promise<void> => {
    const newest = newestOfferOverrideFor(opts.selfId, entries());
    const mine = opts.store.get().overrides.offerFor.find((e) => e.nodeId === opts.selfId);
    const ownSetAtMs = Math.max(mine?.setAtMs ?? -Infinity, opts.store.get().overrides.offer?.setAtMs ?? -Infinity);
    if (!newest || newest.setAtMs <= ownSetAtMs) return;
    await opts.store.update((s) => {
      s.overrides.offer = asOwn(newest);
      s.overrides.offerFor = upsert(s.overrides.offerFor, newest);
    });
    opts.log.info(newest.mode === 'auto' ? 'manual offer override cleared from another agent' : `this node is ${newest.mode === 'offer' ? 'offered' : 'taken out'} manually, set on another agent`, {
      untilMs: newest.untilMs ?? undefined,
    });
    opts.changed();
  };
  const onRegistry = (): void => {
    adopt().catch((err: unknown) => opts.log.error('adopting an offer override failed', { error: String(err) }));
  };

  return {
    name: 'offer overrides',
    async start(signal) {
      if (signal.aborted || subscriptions.length > 0) return;
      for (const event of ['node-added', 'node-updated'] as const) subscriptions.push(opts.registry.on(event, onRegistry));
      await adopt();
    },
    async stop() {
      for (const off of subscriptions.splice(0)) off();
    },
    async set(mode, forSec, nodeRef) {
      const target = nodeRef === undefined ? opts.selfId : opts.registry.snapshot().find((n) => n.nodeId === nodeRef || n.name === nodeRef)?.nodeId;
      if (target === undefined) throw new NotFoundError(`no node named "${nodeRef ?? ''}"; known: ${opts.registry.snapshot().map((n) => n.name).join(', ')}`);
      const nowMs = opts.clock.nowMs();
      // Later than anything seen for that node, even from an agent whose clock runs ahead: the latest action wins.
      const known = [...entries().filter((e) => e.nodeId === target).map((e) => e.setAtMs), ...opts.registry.snapshot().filter((n) => n.nodeId === target).map((n) => n.advert?.offerOverride?.setAtMs ?? -Infinity)];
      const entry: OfferOverrideFor = { nodeId: target, mode, untilMs: forSec === null ? null : nowMs + forSec * 1000, setAtMs: Math.max(nowMs, ...known.map((t) => t + 1)) };
      await opts.store.update((s) => {
        s.overrides.offerFor = upsert(s.overrides.offerFor, entry);
        if (target === opts.selfId) s.overrides.offer = asOwn(entry);
      });
      opts.changed();
      return asOwn(entry);
    },
  };
}
