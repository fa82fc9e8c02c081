/**
 * Builds the placement side of the agent: elector, actions on transitions, Wake-on-LAN, and what
 * the API needs to read and steer it. Kept out of agent.ts so the composition root stays a list.
 */
import type { SettingsHolder } from './live-settings.js';
import { ALL_KINDS, perKind } from './kernel/kinds.js';
import { modelControls } from './adapters/model-controls.js';
import { sendMagicPacket } from './adapters/wake-on-lan.js';
import { readFile } from 'node:fs/promises';
import type { PlacementRouteDeps } from '../api/routes/placement.js';
import type { PeerRegistry } from '../discovery/registry.js';
import { createActions } from '../scheduler/actions.js';
import { createElector, type Elector } from '../scheduler/elector.js';
import { createImmichQueues } from './adapters/immich-queues.js';
import type { HistoryEntry } from '../scheduler/history-schema.js';
import { newestPins, type Pin } from './kernel/shapes/override.js';
import { createOfferOverrides } from './offer-overrides.js';
import type { NodeAdvert } from '../discovery/advert.js';
import { createQueuePauser } from './adapters/queue-pauser.js';
import { createWaker, type Waker } from '../scheduler/waker.js';
import type { AgentConfig } from './config-schema.js';
import type { AgentDeps } from './deps.js';
import { NotFoundError } from './kernel/errors.js';
import { createHistory } from './history.js';
import type { Service } from './kernel/lifecycle.js';
import type { Store } from './store.js';

export interface PlacementParts {
  elector: Elector;
  /** Since when this node serves each kind by its election: advertised for hysteresis (issue 12). */
  serving(): Serving;
  waker: Waker | null;
  /** Started after the elector, stopped before it. */
  services: Service[];
  routes: PlacementRouteDeps;
}

export type Serving = NonNullable<NodeAdvert['serving']>;

export async function createPlacement(
  config: AgentConfig,
  deps: AgentDeps,
  parts: {
    /** The live placement policy, offer and service URLs. */
    settings: SettingsHolder;
    selfId: string;
    registry: PeerRegistry;
    store: Store;
    displayZone: string;
    offerChanged: () => void;
    onHistory: (entry: HistoryEntry) => void;
  },
): Promise<PlacementParts> {
  const { store, registry, clock } = { ...parts, clock: deps.clock };
  const log = deps.log.child('placement');
  const history = createHistory(store, clock.nowMs, log, parts.onHistory);
  const pins = (): Pin[] => store.get().overrides.pins;
  /** The pins the mesh follows: this agent's and every advert's, newest per kind (cleared ones left out). */
  const effectivePins = (): Pin[] => newestPins(pins(), registry.snapshot()).filter((p) => p.nodeId !== null);
  const elector = createElector({ registry, policy: () => parts.settings.current().placement, pins, clock, log, displayZone: parts.displayZone });

  let serving: Serving = { ...perKind(() => null), batch: null };
  const offServing = elector.onChange((next) => {
    const mine = (id: string | null, since: number | null): number | null => (id === parts.selfId ? (since ?? clock.nowMs()) : null);
    const batchKind = ALL_KINDS.find((d) => d.traits.batchWork)?.id;
    const updated: Serving = {
      ...perKind((kind) => mine(next.kinds[kind].elected, serving[kind])),
      batch: batchKind ? mine(next.kinds[batchKind].batchElected, serving.batch) : null,
    };
    if ((Object.keys(updated) as (keyof Serving)[]).every((k) => updated[k] === serving[k])) return;
    serving = updated;
    parts.offerChanged();
  });
  const offerOverrides = createOfferOverrides({ selfId: parts.selfId, registry, store, clock, log, changed: parts.offerChanged });
  const servingTracker: Service = { name: 'serving tracker', start: async () => undefined, stop: async () => offServing() };

  let queuePauser: ReturnType<typeof createQueuePauser> | null = null;
  if (config.immich) {
    const apiKey = config.immich.apiKey ?? (await readFile(config.immich.apiKeyFile as string, 'utf8')).trim();
    const client = createImmichQueues({ serverUrl: config.immich.serverUrl, apiKey, fetch: deps.fetch, clock, timeoutMs: config.probes.timeoutMs });
    queuePauser = createQueuePauser({
      client,
      queues: config.immich.batchQueues,
      store: {
        load: async () => store.get().immichPausedByUs,
        save: (paused) =>
          store.update((s) => {
            s.immichPausedByUs = paused;
          }),
      },
      log: log.child('immich'),
    });
  }
  // The peers known from the last run (restored as down): settled once each has answered (issue 12).
  const knownAtStart = registry
    .snapshot()
    .filter((n) => n.nodeId !== parts.selfId)
    .map((n) => n.nodeId);
  const actions = createActions({
    selfId: parts.selfId,
    elector,
    history,
    clock,
    log: log.child('actions'),
    models: modelControls(config, parts.settings, deps.fetch),
    unloadOnLeave: parts.settings.current().offer.unloadOnLeave,
    warmUpModels: parts.settings.current().offer.warmUpModels,
    queuePauser,
    ...(config.immich ? { settleMs: config.immich.settleSec * 1000 } : {}),
    // With no peer known from the last run, discovery may still find one: settleSec decides then.
    peersAnswered: () => knownAtStart.length > 0 && knownAtStart.every((id) => (registry.get(id)?.state ?? 'up') !== 'down'),
  });
  const waker = config.wakeOnLan.enabled
    ? createWaker({
        elector,
        registry,
        history,
        clock,
        log: log.child('wol'),
        broadcastAddress: config.wakeOnLan.broadcastAddress,
        port: config.wakeOnLan.port,
        waitUpMs: config.wakeOnLan.waitUpSec * 1000,
        send: deps.sendMagicPacket ?? sendMagicPacket,
      })
    : null;

  /** Now, or just after the newest pin of `kind` when another agent's clock runs ahead: the latest action wins. */
  const newerThanAny = (kind: Pin['kind']): number => Math.max(clock.nowMs(), ...newestPins(pins(), registry.snapshot()).filter((p) => p.kind === kind).map((p) => p.setAtMs + 1));
  const until = (forSec: number | null): number | null => (forSec === null ? null : clock.nowMs() + forSec * 1000);
  const routes: PlacementRouteDeps = {
    placement: () => elector.snapshot(),
    history: (o) => history.list(o),
    overrides: () => ({ offer: store.get().overrides.offer, pins: effectivePins() }),
    async setOfferOverride(mode, forSec, nodeRef) {
      const next = await offerOverrides.set(mode, forSec, nodeRef);
      const whom = nodeRef === undefined ? 'this node' : nodeRef;
      log.info(mode === 'auto' ? `manual offer override of ${whom} cleared` : `${whom} is ${mode === 'offer' ? 'offered' : 'taken out'} manually`, { untilMs: next?.untilMs ?? undefined });
      return next;
    },
    async setPin(kind, nodeRef, forSec) {
      const node = registry.snapshot().find((n) => n.nodeId === nodeRef || n.name === nodeRef);
      if (!node) throw new NotFoundError(`no node named "${nodeRef}"; known: ${registry.snapshot().map((n) => n.name).join(', ')}`);
      const pin: Pin = { kind, nodeId: node.nodeId, untilMs: until(forSec), setAtMs: newerThanAny(kind) };
      await store.update((s) => {
        s.overrides.pins = [...s.overrides.pins.filter((p) => p.kind !== kind), pin];
      });
      // Advertised: every agent follows the newest pin (issue 12).
      parts.offerChanged();
      elector.refresh();
      return pin;
    },
    async clearPin(kind) {
      const had = effectivePins().some((p) => p.kind === kind);
      if (!had) return false;
      // A cleared pin is kept (nodeId null) and advertised, so it beats the older pin on every agent.
      const cleared: Pin = { kind, nodeId: null, untilMs: null, setAtMs: newerThanAny(kind) };
      await store.update((s) => {
        s.overrides.pins = [...s.overrides.pins.filter((p) => p.kind !== kind), cleared];
      });
      parts.offerChanged();
      elector.refresh();
      return true;
    },
  };
  return { elector, serving: () => serving, waker, services: [servingTracker, offerOverrides, actions, ...(waker ? [waker] : [])], routes };
}
