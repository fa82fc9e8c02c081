/**
 * Builds the routed endpoints (issue 5): routing over the elector, the Ollama and Immich ML
 * handlers, client access control, statistics, and the optional dedicated listeners.
 */
import type { SettingsHolder } from './live-settings.js';
import http from 'node:http';
import { createAccessPolicy, type AccessPolicy } from '../api/proxy/access.js';
import { createAdminAuth } from '../api/admin-auth.js';
import { createModelManagementGuard } from '../api/proxy/model-management.js';
import { createImmichHandler } from '../api/proxy/immich-handler.js';
import { createKindHandler } from '../api/proxy/kind-handler.js';
import { createOllamaHandler } from '../api/proxy/ollama-handler.js';
import { advertListVersion } from '../api/proxy/model-list-cache.js';
import { createRelayHandler } from '../api/proxy/relay-handler.js';
import { createProxyRouter, type ProxyRouter } from '../api/proxy/router.js';
import type { RelayCredentials } from '../api/proxy/upstream.js';
import { createSpeedMeter, type RecordSpeed } from '../api/proxy/speed-meter.js';
import type { RequestVerifier } from '../discovery/peer-auth.js';
import type { PeerSighting } from '../discovery/discovery.js';
import { KIND_IDS, type KindId } from './kernel/kinds.js';
import { createRouting, type Routing } from '../api/proxy/routing.js';
import type { ProxyStats } from '../api/proxy/stats.js';
import { createHttpServer, type HttpServer } from '../api/server.js';
import type { PeerRegistry } from '../discovery/registry.js';
import type { Elector } from '../scheduler/elector.js';
import type { AgentConfig } from './config-schema.js';
import type { AgentDeps } from './deps.js';

export interface ProxyParts {
  router: ProxyRouter;
  /** Where requests go now and which nodes failed them lately (issue 10 §4). */
  routing: Routing;
  /** The one client access policy; the API and UI use it too (issue 11). */
  access: AccessPolicy;
  /** Dedicated listeners (`services.<kind>.port`), started after the main one. */
  servers: HttpServer[];
  /** Upstream connections are kept alive between requests; stop() closes them. */
  agent: http.Agent;
}

export function createProxy(
  config: AgentConfig,
  deps: AgentDeps,
  parts: {
    settings: SettingsHolder;
    adminToken: () => string | null;
    stats: ProxyStats;
    elector: () => Elector | null;
    registry: () => PeerRegistry | null;
    selfId: () => string;
    selfName: () => string;
    batchNodeWaking: () => boolean;
    /** The mesh key and the verifier of signed peer requests (null before start). */
    key: () => string | null;
    verifier: () => RequestVerifier | null;
    sighted: (s: PeerSighting) => void;
    /** Where this node's own answers' speed goes (issue 15: the speed book). */
    recordSpeed: RecordSpeed;
  },
): ProxyParts {
  const log = deps.log.child('proxy');
  const p = config.proxy;
  // Keep-alive: a new TCP connection per streamed token request would cost more than our whole budget.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000 });
  // The live URL: a Setup page change of a service URL applies to the next request.
  const localUrl = (kind: KindId): string | null => (config.services[kind].enabled ? parts.settings.current().services[kind].url : null);
  const firstByteTimeoutMs = (kind: KindId): number => config.services[kind].firstByteTimeoutMs;
  const routing = createRouting({ elector: parts.elector, registry: parts.registry, selfId: parts.selfId, localUrl, clock: deps.clock, suspectMs: p.suspectSec * 1000 });
  const access = createAccessPolicy({ allowedCidrs: p.allowedCidrs, apiKey: p.apiKey });
  const relay: RelayCredentials = { key: parts.key, selfId: parts.selfId, nowMs: deps.clock.nowMs };
  const maxBodyBytes = p.maxBodyMb * 1024 * 1024;
  const speed = createSpeedMeter({ clock: deps.clock, record: parts.recordSpeed });
  const common = { routing, stats: parts.stats, clock: deps.clock, agent, maxBodyBytes, relay, speed };
  const admin = createAdminAuth({ token: parts.adminToken, nowMs: deps.clock.nowMs });
  const router = createProxyRouter({
    access: () => access,
    manage: createModelManagementGuard({ open: p.openModelManagement, access: () => access, admin }),
    relay: createRelayHandler({
      verifier: parts.verifier,
      relay,
      selfName: parts.selfName,
      localUrl,
      firstByteTimeoutMs,
      maxBodyBytes,
      agent,
      clock: deps.clock,
      stats: parts.stats,
      log: log.child('relay'),
      sighted: parts.sighted,
      speed,
    }),
    // One handler per kind: a kind without one does not compile.
    handlers: {
      ollama: createOllamaHandler({
        ...common,
        log: log.child('ollama'),
        firstByteTimeoutMs: firstByteTimeoutMs('ollama'),
        modelFallbacks: p.modelFallbacks,
        listVersion: (nodeId, path) => advertListVersion(parts.registry()?.get(nodeId)?.advert?.services.ollama, path),
      }),
      whisper: createKindHandler('whisper', { ...common, log: log.child('whisper'), firstByteTimeoutMs: firstByteTimeoutMs('whisper') }),
      'immich-ml': createImmichHandler({ ...common, log: log.child('immich-ml'), firstByteTimeoutMs: firstByteTimeoutMs('immich-ml'), holdMs: p.holdForWakeSec * 1000, batchNodeWaking: parts.batchNodeWaking }),
    },
    log,
  });
  const servers: HttpServer[] = [];
  for (const kind of KIND_IDS) {
    const port = config.services[kind].port;
    if (port === null) continue;
    const handle = router.dedicated(kind);
    servers.push(
      createHttpServer({
        name: `${kind}-port`,
        raw: (req, res) => {
          handle(req, res);
          return true;
        },
        host: config.api.host,
        port,
        clock: deps.clock,
        log: log.child(`${kind}-port`),
      }),
    );
  }
  return { router, routing, access, servers, agent };
}
