/**
 * Plain service endpoints (no agent there) as registry nodes: each is probed on the services
 * interval with the same probes as the local services (injected, one per kind), and listed under the name the
 * admin gave it. Its node id is derived from that name, so it is stable across restarts and the
 * same on every agent that has the same endpoint configured.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../agent/kernel/clock.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import { KIND_IDS, type KindId } from '../agent/kernel/kinds.js';
import type { ServiceProbe } from '../agent/kernel/shapes/facts.js';
import { createProbeLoop } from '../agent/kernel/poll-loop.js';
import type { ServiceEndpoint } from './endpoint-schema.js';
import { ADVERT_VERSION, type NodeAdvert } from './advert.js';
import type { PeerRegistry } from './registry.js';

export function endpointNodeId(name: string): string {
  return createHash('sha256').update(`inference-mesh/endpoint/${name}`).digest('hex').slice(0, 32);
}

export interface EndpointNodes extends Service {
  /** Replaces the set of endpoints (config + API); removed ones leave the registry. */
  set(endpoints: readonly ServiceEndpoint[]): void;
}

export function createEndpointNodes(opts: {
  registry: PeerRegistry;
  /** The probe of each kind (agent/probe/services.ts). */
  probes: Readonly<Record<KindId, ServiceProbe>>;
  fetch: typeof fetch;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
}): EndpointNodes {
  let endpoints: readonly ServiceEndpoint[] = [];
  const nowMs = opts.clock.nowMs;

  const probeOne = async (e: ServiceEndpoint, signal: AbortSignal): Promise<void> => {
    const probed = await Promise.all(
      KIND_IDS.map(async (kind) => {
        const url = e.urls[kind];
        return [kind, url ? await opts.probes[kind]({ fetch: opts.fetch, nowMs }, url, signal) : null] as const;
      }),
    );
    if (signal.aborted) return;
    const services = Object.fromEntries(probed) as NodeAdvert['services'];
    const nodeId = endpointNodeId(e.name);
    const url = firstUrl(e);
    const found = Object.values(services).filter((f) => f !== null);
    if (!found.some((f) => f.state === 'up')) {
      const reason = found.map((f) => f.reason).filter(Boolean).join('; ');
      if (!opts.registry.get(nodeId)) opts.registry.upsertMember({ advert: advertFor(e, nodeId, services, nowMs()), seq: 0, source: 'endpoint', url, nowMs: nowMs() });
      opts.registry.recordCheck(nodeId, url, { ok: false, error: reason || 'not reachable', definitive: true }, nowMs());
      return;
    }
    opts.registry.upsertMember({ advert: advertFor(e, nodeId, services, nowMs()), seq: 0, source: 'endpoint', url, nowMs: nowMs() });
  };

  const loop = createProbeLoop({
    name: 'endpoints',
    intervalMs: opts.intervalMs,
    timeoutMs: opts.timeoutMs,
    clock: opts.clock,
    log: opts.log,
    run: async (signal) => {
      await Promise.all(endpoints.map((e) => probeOne(e, signal)));
    },
    onOutcome: () => undefined,
  });

  return {
    name: 'endpoint-nodes',
    start: (signal) => loop.start(signal),
    stop: () => loop.stop(),
    set(next) {
      const keep = new Set(next.map((e) => endpointNodeId(e.name)));
      for (const e of endpoints) if (!keep.has(endpointNodeId(e.name))) opts.registry.remove(endpointNodeId(e.name));
      endpoints = [...next];
      void loop.runNow(); // probe new endpoints at once; runNow never rejects (failures are reported)
    },
  };
}

/** The first URL the endpoint names, in kind order: the node's address. */
function firstUrl(e: ServiceEndpoint): string {
  return KIND_IDS.map((k) => e.urls[k]).find((u) => u !== undefined) as string;
}

function advertFor(e: ServiceEndpoint, nodeId: string, services: NodeAdvert['services'], nowMs: number): NodeAdvert {
  return {
    v: ADVERT_VERSION,
    nodeId,
    name: e.name,
    agentVersion: 'none (plain endpoint)',
    startedAtMs: nowMs,
    port: Number(new URL(firstUrl(e)).port) || 80,
    hardware: null,
    services,
    activity: null,
    network: null,
    probes: {},
    // A plain endpoint has no offer: it is always offered, with no game rules.
    offer: null,
    offerState: null,
    offerOverride: null,
    members: [],
    offerOverrides: [],
    pins: [],
    serving: null,
    pausesImmichQueues: false,
    speed: null,
  };
}
