/**
 * Plain service endpoints (no agent there) as registry nodes: each is probed on the services
 * interval with the same probes as the local Ollama and Immich ML, and listed under the name the
 * admin gave it. Its node id is derived from that name, so it is stable across restarts and the
 * same on every agent that has the same endpoint configured.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../agent/kernel/clock.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import { probeImmichMl } from '../agent/probe/immich-ml.js';
import { probeOllama } from '../agent/probe/ollama.js';
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
  fetch: typeof fetch;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
}): EndpointNodes {
  let endpoints: readonly ServiceEndpoint[] = [];
  const nowMs = opts.clock.nowMs;

  const probeOne = async (e: ServiceEndpoint, signal: AbortSignal): Promise<void> => {
    const [ollama, immichMl] = await Promise.all([
      e.ollamaUrl ? probeOllama({ fetch: opts.fetch, nowMs }, e.ollamaUrl, signal) : null,
      e.immichMlUrl ? probeImmichMl({ fetch: opts.fetch, nowMs }, e.immichMlUrl, signal) : null,
    ]);
    if (signal.aborted) return;
    const nodeId = endpointNodeId(e.name);
    const url = (e.ollamaUrl ?? e.immichMlUrl) as string;
    const up = ollama?.state === 'up' || immichMl?.state === 'up';
    if (!up) {
      const reason = [ollama?.reason, immichMl?.reason].filter(Boolean).join('; ');
      if (!opts.registry.get(nodeId)) opts.registry.upsertMember({ advert: advertFor(e, nodeId, ollama, immichMl, nowMs()), seq: 0, source: 'endpoint', url, nowMs: nowMs() });
      opts.registry.recordCheck(nodeId, url, { ok: false, error: reason || 'not reachable', definitive: true }, nowMs());
      return;
    }
    opts.registry.upsertMember({ advert: advertFor(e, nodeId, ollama, immichMl, nowMs()), seq: 0, source: 'endpoint', url, nowMs: nowMs() });
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

function advertFor(
  e: ServiceEndpoint,
  nodeId: string,
  ollama: NodeAdvert['services']['ollama'],
  immichMl: NodeAdvert['services']['immichMl'],
  nowMs: number,
): NodeAdvert {
  return {
    v: ADVERT_VERSION,
    nodeId,
    name: e.name,
    agentVersion: 'none (plain endpoint)',
    startedAtMs: nowMs,
    port: Number(new URL((e.ollamaUrl ?? e.immichMlUrl) as string).port) || 80,
    hardware: null,
    services: { ollama, immichMl },
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
  };
}
