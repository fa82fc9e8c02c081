/**
 * createAgent(config, deps): the composition root. It only wires; start() brings the parts up in
 * dependency order (data-dir lock → state → mesh key → probes → HTTP → discovery) and stop() takes
 * down exactly what was started, in reverse — mDNS goodbye before the HTTP server closes — each part
 * isolated so one failing stop does not skip the others.
 */
import { createSettingsHolder } from './live-settings.js';
import { liveSettings } from './settings-overlay.js';
import { webRoutes } from '../web/routes.js';
import { ALL_KINDS, perKind } from './kernel/kinds.js';
import type { Hono } from 'hono';
import { createApp } from '../api/app.js';
import { peerRawListener } from '../api/routes/peer.js';
import { createHttpServer, type HttpServer } from '../api/server.js';
import type { Discovery, PeerSighting } from '../discovery/discovery.js';
import { createMemberChanges } from '../discovery/member-changes.js';
import { loadOrCreateMeshKey, meshFingerprint } from '../discovery/mesh-key.js';
import { createRequestVerifier, type RequestVerifier } from '../discovery/peer-auth.js';
import { PeerCallError } from '../discovery/peer-client.js';
import { ADVERT_VERSION, type NodeAdvert } from '../discovery/advert.js';
import { createPeerRegistry, type PeerRegistry } from '../discovery/registry.js';
import type { AgentConfig } from './config-schema.js';
import { loadOrCreateAdminToken } from './admin-token.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import type { AgentDeps } from './deps.js';
import { AgentError, describeError } from './kernel/errors.js';
import { freshState } from './identity.js';
import type { Service } from './kernel/lifecycle.js';
import { createMeshDiscovery } from './mesh.js';
import { createNodeFacts, type NodeFacts } from './node-facts.js';
import type { ProbeLoop } from './kernel/poll-loop.js';
import { createProbes } from './probes.js';
import { applySavedSettings, resetSettings, saveSettings, settingsView, testConnection } from './settings.js';
import { type SettingsView } from './kernel/shapes/settings.js';
import type { Settings } from './kernel/shapes/settings.js';
import { trackBusy } from '../scheduler/busy.js';
import { idleBusyState, type BusyState } from './kernel/shapes/busy-state.js';
import { createPlacement, type PlacementParts } from './placement.js';
import { createProxyStats } from '../api/proxy/stats.js';
import { createProxy } from './proxy.js';
import { createSpeedBook } from './speed-book.js';
import type { PlacementAnswer } from '../scheduler/routing-status.js';
import type { MeshEvent } from '../api/routes/events.js';
import { createEmitter } from './kernel/events.js';
import { createStaticPeers } from './static-peers.js';
import { type StaticPeers } from '../discovery/static-peers.js';
import { openStore, type Store } from './store.js';
import { createBench } from './bench.js';
import { upstreamBenchPost } from './bench-transport.js';
import { targetFor } from '../api/proxy/targets.js';

export interface Agent {
  readonly app: Hono;
  readonly facts: NodeFacts;
  /** Resolves when every part is up; rejects (after undoing what started) when one fails. */
  start(): Promise<void>;
  /** Idempotent; safe during start(). Resolves when everything that started has stopped. */
  stop(): Promise<void>;
  /** Available after start. */
  nodeId(): string;
  /** The HTTP port actually bound (after start). */
  port(): number;
  advert(): NodeAdvert;
  /** The peer registry (after start). */
  registry(): PeerRegistry;
  /** The placement side (after start). */
  placement(): PlacementParts;
}

/** Membership changes are told once the list was still this long, at most this long after the first (discovery/member-changes.ts, issue 17). */
const MEMBERSHIP_SETTLE_MS = 3000;
const MEMBERSHIP_MAX_WAIT_MS = 30_000;

export type ResolvedConfig = AgentConfig & { node: { name: string }; dataDir: string };

export function createAgent(initial: ResolvedConfig, deps: AgentDeps): Agent {
  /** The configuration as the file (with env and flags) says; read once, never changed. */
  const config: ResolvedConfig = structuredClone(initial);
  const log = deps.log;
  /** What applies live: the file's values with the Setup page's overlay on top (from start on). */
  const settings = createSettingsHolder(liveSettings(config, {}), log.child('settings'));
  const facts = createNodeFacts(log.child('node'));
  const startedAtMs = deps.clock.nowMs();
  let store: Store | null = null;
  let http: HttpServer | null = null;
  let registry: PeerRegistry | null = null;
  let staticPeers: StaticPeers | null = null;
  let discovery: Discovery | null = null;
  let meshKey: string | null = null;
  /** Checks signed peer requests (ping, advert, relay): one replay cache for all of them. */
  let peerVerifier: RequestVerifier | null = null;
  let adminToken: string | null = null;
  /** The advert's change counter: bumped on every change of the facts, read by peers' pings. */
  let seq = 0;
  let leaving = false;
  /** This node's own "busy with a game" state, advertised with its offer. */
  let busy: BusyState = idleBusyState;
  let placement: PlacementParts | null = null;
  let probeLoops: ProbeLoop[] = [];
  let serviceProbeLoops: ProbeLoop[] = [];
  let advertChanged: () => void = () => undefined;

  /** The peers this node reaches now, at the address each proved (the advert's `members`, issue 17). */
  const verifiedMembers = (): NodeAdvert['members'] =>
    (registry?.snapshot() ?? []).flatMap((n) => {
      if (n.state !== 'up' || n.sources.includes('self') || n.sources.includes('endpoint')) return [];
      const addr = n.paths.find((p) => p.url === n.activeUrl)?.addr;
      return addr ? [{ nodeId: n.nodeId, addr }] : [];
    });
  const notStarted = (): AgentError => new AgentError('not_started', 'the agent is not started yet', { httpStatus: 503 });
  const advert = (): NodeAdvert => {
    if (!store) throw notStarted();
    const f = facts.snapshot();
    return {
      v: ADVERT_VERSION,
      nodeId: store.get().identity.nodeId,
      name: config.node.name,
      agentVersion: deps.agentVersion,
      startedAtMs,
      port: http?.port() || config.api.port,
      hardware: f.hardware,
      // `direct` only when the owner exposed a service on purpose (issue 10 §6); relay otherwise.
      services: perKind((kind) => {
        const found = f.services[kind];
        return found && config.services[kind].direct ? { ...found, direct: true } : found;
      }),
      activity: f.activity,
      network: f.network,
      probes: f.probes,
      offer: { ...settings.current().offer, timeZone: settings.current().offer.timeZone ?? deps.timeZone },
      offerState: busy,
      offerOverride: store.get().overrides.offer,
      members: verifiedMembers(),
      // Newest last; capped to what peers' schema accepts (discovery/advert.ts).
      offerOverrides: [...store.get().overrides.offerFor].sort((a, b) => a.setAtMs - b.setAtMs).slice(-64),
      pins: store.get().overrides.pins.slice(-16),
      serving: placement?.serving() ?? null,
      pausesImmichQueues: config.immich !== undefined,
      speed: speedBook.advertised(),
    };
  };
  /** What this node's services measured while serving (issue 15), advertised with the rest. */
  const speedBook = createSpeedBook({ clock: deps.clock, log: log.child('speed') });
  const stats = createProxyStats({ nowMs: deps.clock.nowMs });
  /** Everything the live UI hears about (GET /api/v1/events). */
  const meshEvents = createEmitter<{ event: MeshEvent }>((err) => log.error('event listener failed', { error: String(err) }));
  const proxy = createProxy(config, deps, {
    settings,
    adminToken: () => adminToken,
    stats,
    elector: () => placement?.elector ?? null,
    registry: () => registry,
    selfId: () => store?.get().identity.nodeId ?? '',
    selfName: () => config.node.name,
    key: () => meshKey,
    verifier: () => peerVerifier,
    sighted: (sighting) => discovery?.peerSighted(sighting),
    recordSpeed: (subject, sample) => speedBook.record(subject, sample),
    batchNodeWaking: () => {
      const waking = placement?.waker?.waking();
      const current = placement?.elector.current();
      if (!waking || waking.size === 0 || !current) return false;
      return ALL_KINDS.some((d) => d.traits.batchWork && current.kinds[d.id].candidates.some((c) => c.batch && waking.has(c.nodeId)));
    },
  });
  const saveLocal = (change: Settings): Promise<SettingsView> => {
    if (!store) throw notStarted();
    return saveSettings(store, config, change, settings);
  };
  /** Another node's settings over the mesh (issue 16: one place to set up every machine). */
  const remoteSettings = async (nodeId: string, change?: Settings): Promise<SettingsView> => {
    if (!discovery) throw notStarted();
    try {
      return await discovery.settingsOf(nodeId, change);
    } catch (err) {
      // The node's own refusal (its owner said no, or the change is invalid there) is the answer.
      if (err instanceof PeerCallError && (err.status === 403 || err.status === 400)) {
        throw new AgentError(err.status === 403 ? 'remote_settings_refused' : 'bad_request', err.message, { httpStatus: err.status });
      }
      throw err;
    }
  };
  /** `inference-mesh bench` (issue 15): through the routed endpoints' own connections and relay credentials. */
  const selfNodeId = (): string => store?.get().identity.nodeId ?? '';
  const bench = createBench({
    nodes: () => registry?.snapshot() ?? [],
    placementFor: (model) => (placement ?? ((): never => { throw notStarted(); })()).elector.electFor('ollama', model),
    target: (node) => targetFor(node, 'ollama', selfNodeId(), config.services.ollama.enabled ? settings.current().services.ollama.url : null),
    post: upstreamBenchPost({ agent: proxy.agent, relay: { key: () => meshKey, selfId: selfNodeId, nowMs: deps.clock.nowMs }, clock: deps.clock }),
    clock: deps.clock,
    // The routed endpoint's own wait for a first byte (a cold load), then 64 tokens at 1 tok/s or more.
    callTimeoutMs: config.services.ollama.firstByteTimeoutMs + 64_000,
  });
  /** The election with what routing sees of it (issue 10 §4), for the API, the UI and its events. */
  const placementAnswer = (): PlacementAnswer | null => (placement ? { ...placement.elector.snapshot(), routing: proxy.routing.status() } : null);
  const routes = (): PlacementParts['routes'] => placement?.routes ?? ((): never => { throw notStarted(); })();
  const peerDeps = {
    key: () => meshKey,
    verifier: () => peerVerifier,
    sighted: (sighting: PeerSighting) => discovery?.peerSighted(sighting),
    settings: { view: () => settingsView(config, settings.current(), store?.get().settings), save: (change: Settings) => saveLocal(change), acceptRemote: () => config.mesh.acceptRemoteSettings },
    nowMs: deps.clock.nowMs,
    nodeId: () => store?.get().identity.nodeId ?? '',
    seq: () => seq,
    leaving: () => leaving,
  };
  // The health check every member sends every other, and the advert, served before Hono (issue 17).
  const peerRaw = peerRawListener({ ...peerDeps, advert, log: log.child('api').child('peer') });
  const app = createApp({
    log: log.child('api'),
    advert,
    nodes: () => registry?.snapshot() ?? [],
    staticPeers: () => staticPeers ?? ((): never => { throw notStarted(); })(),
    peer: peerDeps,
    placement: {
      placement: () => placementAnswer() ?? ((): never => { throw notStarted(); })(),
      history: (o) => routes().history(o),
      overrides: () => routes().overrides(),
      setOfferOverride: (mode, forSec, node) => routes().setOfferOverride(mode, forSec, node),
      setPin: (kind, node, forSec) => routes().setPin(kind, node, forSec),
      clearPin: (kind) => routes().clearPin(kind),
    },
    stats: () => stats,
    events: {
      clock: deps.clock,
      initial: () => [
        { event: 'nodes', data: registry?.snapshot() ?? [] },
        ...(placement ? [{ event: 'placement' as const, data: placementAnswer() }] : []),
      ],
      subscribe: (listener) => meshEvents.on('event', listener),
    },
    admin: { token: () => adminToken, nowMs: deps.clock.nowMs },
    access: () => proxy.access,
    bench: {
      run: async (o) => {
        const answer = await bench.run(o);
        // This node's own Ollama was called directly, past the meter: its figure goes into the book here.
        for (const n of answer.nodes) {
          if (n.nodeId !== selfNodeId() || 'skipped' in n) continue;
          speedBook.record({ kind: 'model', name: n.model }, { atMs: answer.atMs, source: 'bench', genTokPerSec: n.genTokPerSec, promptTokPerSec: n.promptTokPerSec, ttftMs: n.ttftMs, loadMs: n.loadMs, latencyMs: null });
        }
        return answer;
      },
    },
    settings: {
      view: () => settingsView(config, settings.current(), store?.get().settings),
      save: (change) => saveLocal(change),
      remote: {
        view: (nodeId) => (store && nodeId === store.get().identity.nodeId ? Promise.resolve(settingsView(config, settings.current(), store.get().settings)) : remoteSettings(nodeId)),
        save: (nodeId, change) => (nodeId === store?.get().identity.nodeId ? saveLocal(change) : remoteSettings(nodeId, change)),
      },
      reset: (keys) => {
        if (!store) throw notStarted();
        return resetSettings(store, config, keys, settings);
      },
      test: (req) => testConnection(req, { fetch: deps.fetch, clock: deps.clock, timeoutMs: config.probes.timeoutMs }),
    },
    ui: webRoutes({
      selfName: () => config.node.name,
      nodes: () => registry?.snapshot() ?? [],
      placement: placementAnswer,
      history: (o) => placement?.routes.history(o) ?? [],
      recentRequests: () => stats.snapshot().recent,
      nowMs: deps.clock.nowMs,
      displayZone: settings.current().offer.timeZone ?? deps.timeZone,
    }),
  });

  // Each part reacts to the live settings it depends on (issue 13: no shared mutable config).
  settings.on('offer', () => advertChanged());
  settings.on('placement', () => placement?.elector.refresh());
  settings.on('services', () => {
    for (const loop of serviceProbeLoops) void loop.runNow(); // never rejects
  });

  /** What has started, newest last: stop() unwinds it. */
  const running: { name: string; stop: () => Promise<void> }[] = [];
  const startAbort = new AbortController();
  let startRun: Promise<void> | null = null;
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  const startService = async (service: Service): Promise<void> => {
    if (startAbort.signal.aborted) return;
    running.push({ name: service.name, stop: () => service.stop() });
    await service.start(startAbort.signal);
  };

  const doStart = async (): Promise<void> => {
    const signal = startAbort.signal;
    const lock = await acquireDataDirLock({ dataDir: config.dataDir, pid: deps.pid, isProcessAlive: deps.isProcessAlive, log });
    running.push({ name: 'data-dir lock', stop: () => lock.release() });
    if (signal.aborted) return;

    const s = await openStore({ dataDir: config.dataDir, nowMs: deps.clock.nowMs, log: log.child('store'), initial: freshState });
    store = s;
    await applySavedSettings(s, config, settings, log);
    // Stopped last: writes queued by the parts' own stops (history, peers) reach the disk.
    running.push({ name: 'state store', stop: () => s.flush() });
    if (signal.aborted) return;
    const selfId = s.get().identity.nodeId;
    const mesh = await loadOrCreateMeshKey({ dataDir: config.dataDir, configuredKey: config.mesh.key, log: log.child('mesh'), nowMs: deps.clock.nowMs });
    meshKey = mesh.key;
    peerVerifier = createRequestVerifier({ key: mesh.key, selfId: () => selfId, nowMs: deps.clock.nowMs });
    adminToken = await loadOrCreateAdminToken({ dataDir: config.dataDir, log: log.child('admin'), nowMs: deps.clock.nowMs });
    if (signal.aborted) return;
    log.info('identity', { nodeId: selfId, name: config.node.name, mesh: meshFingerprint(mesh.key), dataDir: config.dataDir });

    const reg = createPeerRegistry({ selfId, downAfterMs: config.discovery.downAfterMs, log: log.child('registry') });
    reg.restore(s.get().peers);
    registry = reg;
    const forward = [
      reg.on('node-added', ({ node }) => meshEvents.emit('event', { event: 'node', data: node })),
      reg.on('node-updated', ({ node }) => meshEvents.emit('event', { event: 'node', data: node })),
      reg.on('node-state', ({ node }) => meshEvents.emit('event', { event: 'node', data: node })),
      reg.on('node-removed', ({ nodeId }) => meshEvents.emit('event', { event: 'node-removed', data: { nodeId } })),
    ];
    running.push({ name: 'event forwarding', stop: async () => forward.forEach((off) => off()) });
    staticPeers = createStaticPeers(config.discovery, s, () => discovery?.refreshStatic());

    const selfUrl = (): string => `http://127.0.0.1:${http?.port() || config.api.port}`;
    /** Anything in our advert changed: peers re-fetch it (seq), and we re-elect with it. */
    advertChanged = (): void => {
      seq++;
      reg.setSelf(advert(), seq, selfUrl(), deps.clock.nowMs());
      discovery?.advertChanged();
    };
    // The advert lists the members this node reaches (issue 17): a change of membership is an
    // advert change, told once things settle rather than once per node of a forming mesh.
    const members = createMemberChanges({
      clock: deps.clock,
      members: () => verifiedMembers().map((m) => `${m.nodeId}@${m.addr}`),
      tell: () => advertChanged(),
      settleMs: MEMBERSHIP_SETTLE_MS,
      maxWaitMs: MEMBERSHIP_MAX_WAIT_MS,
    });
    const membershipChanged = ({ node }: { node?: { nodeId: string } }): void => {
      if (node?.nodeId !== selfId) members.changed();
    };
    const offMembership = [reg.on('node-added', membershipChanged), reg.on('node-state', membershipChanged), reg.on('node-removed', () => membershipChanged({}))];
    running.push({
      name: 'membership subscription',
      stop: async () => {
        offMembership.forEach((off) => off());
        members.stop();
      },
    });
    const offFacts = facts.onChanged((snapshot, probe) => {
      if (probe === 'activity') busy = trackBusy(busy, snapshot.activity, settings.current().offer, deps.clock.nowMs());
      advertChanged();
    });
    running.push({ name: 'facts subscription', stop: async () => offFacts() });
    const offSpeed = speedBook.onChange(() => advertChanged());
    running.push({
      name: 'speed subscription',
      stop: async () => {
        offSpeed();
        speedBook.stop();
      },
    });

    ({ all: probeLoops, services: serviceProbeLoops } = createProbes(config, settings, deps, facts));
    for (const probe of probeLoops) await startService(probe);

    running.push({
      name: 'upstream connections',
      stop: async () => {
        proxy.routing.stop();
        proxy.agent.destroy();
      },
    });
    http = createHttpServer({ fetch: app.fetch, raw: (req, res) => peerRaw(req, res) || proxy.router.handle(req, res), host: config.api.host, port: config.api.port, clock: deps.clock, log: log.child('http') });
    await startService(http);
    for (const server of proxy.servers) await startService(server);
    if (signal.aborted) return;
    reg.setSelf(advert(), seq, selfUrl(), deps.clock.nowMs());

    discovery = createMeshDiscovery(config, deps, {
      selfId,
      key: mesh.key,
      fingerprint: meshFingerprint(mesh.key),
      port: http.port(),
      seq: () => seq,
      registry: reg,
      store: s,
      staticPeers,
      serving: () => {
        const current = placement?.elector.current();
        return new Set(current ? Object.values(current.kinds).flatMap((k) => [k.elected, k.batchElected].filter((id): id is string => id !== null)) : []);
      },
    });
    await startService(discovery);
    if (signal.aborted) return;

    placement = await createPlacement(config, deps, {
      settings,
      selfId,
      registry: reg,
      store: s,
      displayZone: settings.current().offer.timeZone ?? deps.timeZone,
      offerChanged: advertChanged,
      onHistory: (entry) => meshEvents.emit('event', { event: 'history', data: entry }),
    });
    const parts = placement;
    // The answer is a fresh election of its own (snapshot()): not made while no client listens, as
    // when a forming mesh re-elects at every node it adds (issue 17).
    const emitPlacement = (): void => meshEvents.emitWith('event', () => ({ event: 'placement', data: placementAnswer() }));
    const offPlacement = parts.elector.onChange(emitPlacement);
    // A node that fails routed requests changes what the Overview must say, with no new election.
    const offRouting = proxy.routing.onChange(emitPlacement);
    running.push({
      name: 'placement events',
      stop: async () => {
        offPlacement();
        offRouting();
      },
    });
    await startService(placement.elector);
    for (const service of placement.services) await startService(service);
  };

  const doStop = async (): Promise<void> => {
    // Peers that ping us from now on are told we are leaving, and mark us down at once.
    leaving = true;
    startAbort.abort(new Error('agent stopping'));
    await startRun?.catch(() => undefined);
    while (running.length > 0) {
      const part = running.pop();
      if (!part) break;
      try {
        await part.stop();
      } catch (err) {
        log.error('stopping a part failed', { part: part.name, error: describeError(err) });
      }
    }
    log.info('stopped');
  };

  return {
    app,
    facts,
    start() {
      if (starting) return starting;
      startRun = doStart();
      starting = startRun.catch(async (err: unknown) => {
        await (stopping ??= doStop());
        throw err;
      });
      return starting;
    },
    stop() {
      return (stopping ??= doStop());
    },
    nodeId() {
      if (!store) throw notStarted();
      return store.get().identity.nodeId;
    },
    port: () => http?.port() ?? 0,
    advert,
    registry() {
      if (!registry) throw notStarted();
      return registry;
    },
    placement() {
      if (!placement) throw notStarted();
      return placement;
    },
  };
}
