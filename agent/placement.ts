/**
 * Builds the placement side of the agent: elector, actions on transitions, Wake-on-LAN, and what
 * the API needs to read and steer it. Kept out of agent.ts so the composition root stays a list.
 */
import { readFile } from 'node:fs/promises';
import type { PlacementRouteDeps } from '../api/routes/placement.js';
import type { PeerRegistry } from '../discovery/registry.js';
import { createActions } from '../scheduler/actions.js';
import { createElector, type Elector } from '../scheduler/elector.js';
import { createImmichQueues } from '../scheduler/immich-queues.js';
import type { HistoryEntry } from '../scheduler/history-schema.js';
import type { OfferOverride, Pin } from '../scheduler/override-schema.js';
import { createQueuePauser } from '../scheduler/queue-pauser.js';
import { createWaker, type Waker } from '../scheduler/waker.js';
import type { AgentConfig } from './config-schema.js';
import type { AgentDeps } from './deps.js';
import { NotFoundError } from './errors.js';
import { createHistory } from './history.js';
import type { Service } from './lifecycle.js';
import type { Store } from './store.js';

export interface PlacementParts {
  elector: Elector;
  waker: Waker | null;
  /** Started after the elector, stopped before it. */
  services: Service[];
  routes: PlacementRouteDeps;
}

export async function createPlacement(
  config: AgentConfig,
  deps: AgentDeps,
  parts: {
    selfId: string;
    registry: PeerRegistry;
    store: Store;
    displayZone: string;
    selfHasGpu: () => boolean;
    offerChanged: () => void;
    onHistory: (entry: HistoryEntry) => void;
  },
): Promise<PlacementParts> {
  const { store, registry, clock } = { ...parts, clock: deps.clock };
  const log = deps.log.child('placement');
  const history = createHistory(store, clock.nowMs, log, parts.onHistory);
  const pins = (): Pin[] => store.get().overrides.pins;
  const elector = createElector({ registry, policy: () => config.placement, pins, clock, log, displayZone: parts.displayZone });

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
  const actions = createActions({
    selfId: parts.selfId,
    elector,
    history,
    clock,
    log: log.child('actions'),
    fetch: deps.fetch,
    localOllamaUrl: config.services.ollama.enabled ? config.services.ollama.url : null,
    selfHasGpu: parts.selfHasGpu,
    warmUpModels: config.offer.warmUpModels,
    queuePauser,
    ...(config.immich ? { settleMs: config.immich.settleSec * 1000 } : {}),
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
        ...(deps.sendMagicPacket ? { send: deps.sendMagicPacket } : {}),
      })
    : null;

  const until = (forSec: number | null): number | null => (forSec === null ? null : clock.nowMs() + forSec * 1000);
  const routes: PlacementRouteDeps = {
    placement: () => elector.snapshot(),
    history: (o) => history.list(o),
    overrides: () => store.get().overrides,
    async setOfferOverride(mode, forSec) {
      const next: OfferOverride | null = mode === 'auto' ? null : { mode, untilMs: until(forSec), setAtMs: clock.nowMs() };
      await store.update((s) => {
        s.overrides.offer = next;
      });
      log.info(mode === 'auto' ? 'manual offer override cleared' : `this node is ${mode === 'offer' ? 'offered' : 'taken out'} manually`, { untilMs: next?.untilMs ?? undefined });
      parts.offerChanged();
      return next;
    },
    async setPin(kind, nodeRef, forSec) {
      const node = registry.snapshot().find((n) => n.nodeId === nodeRef || n.name === nodeRef);
      if (!node) throw new NotFoundError(`no node named "${nodeRef}"; known: ${registry.snapshot().map((n) => n.name).join(', ')}`);
      const pin: Pin = { kind, nodeId: node.nodeId, untilMs: until(forSec), setAtMs: clock.nowMs() };
      await store.update((s) => {
        s.overrides.pins = [...s.overrides.pins.filter((p) => p.kind !== kind), pin];
      });
      elector.refresh();
      return pin;
    },
    async clearPin(kind) {
      const had = pins().some((p) => p.kind === kind);
      await store.update((s) => {
        s.overrides.pins = s.overrides.pins.filter((p) => p.kind !== kind);
      });
      elector.refresh();
      return had;
    },
  };
  return { elector, waker, services: [actions, ...(waker ? [waker] : [])], routes };
}
