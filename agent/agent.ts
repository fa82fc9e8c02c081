/**
 * createAgent(config, deps): the composition root. It only wires; start() brings the parts up in
 * dependency order (data-dir lock → state → probes → HTTP) and stop() takes down exactly what was
 * started, in reverse, each part isolated so one failing stop does not skip the others.
 */
import type { Hono } from 'hono';
import { createApp } from '../api/app.js';
import { createHttpServer, type HttpServer } from '../api/server.js';
import { ADVERT_VERSION, type NodeAdvert } from '../discovery/node-advert.js';
import type { AgentConfig } from './config-schema.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import type { AgentDeps } from './deps.js';
import { AgentError, describeError } from './errors.js';
import { freshState } from './identity.js';
import type { Service } from './lifecycle.js';
import { createNodeFacts, type NodeFacts } from './node-facts.js';
import { createProbes } from './probes.js';
import { openStore, type Store } from './store.js';

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
}

export type ResolvedConfig = AgentConfig & { node: { name: string }; dataDir: string };

export function createAgent(config: ResolvedConfig, deps: AgentDeps): Agent {
  const log = deps.log;
  const facts = createNodeFacts(log.child('facts'));
  const startedAtMs = deps.clock.nowMs();
  let store: Store | null = null;
  let http: HttpServer | null = null;

  const advert = (): NodeAdvert => {
    if (!store) throw new AgentError('not_started', 'the agent is not started yet', { httpStatus: 503 });
    const f = facts.snapshot();
    return {
      v: ADVERT_VERSION,
      nodeId: store.get().identity.nodeId,
      name: config.node.name,
      agentVersion: deps.agentVersion,
      startedAtMs,
      port: http?.port() || config.api.port,
      hardware: f.hardware,
      services: { ollama: f.ollama, immichMl: f.immichMl },
      activity: f.activity,
      network: f.network,
      probes: f.probes,
    };
  };
  const app = createApp({ log: log.child('api'), advert });

  /** What has started, newest last: stop() unwinds it. */
  const running: { name: string; stop: () => Promise<void> }[] = [];
  const startAbort = new AbortController();
  /** The raw start run (doStop waits for it to settle) and the caller-facing promise. */
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

    store = await openStore({ dataDir: config.dataDir, nowMs: deps.clock.nowMs, log: log.child('store'), initial: freshState });
    if (signal.aborted) return;
    log.info('identity', { nodeId: store.get().identity.nodeId, name: config.node.name, dataDir: config.dataDir });

    for (const probe of createProbes(config, deps, facts)) await startService(probe);

    http = createHttpServer({ fetch: app.fetch, host: config.api.host, port: config.api.port, clock: deps.clock, log: log.child('http') });
    await startService(http);
  };

  const doStop = async (): Promise<void> => {
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
      if (!store) throw new AgentError('not_started', 'the agent is not started yet');
      return store.get().identity.nodeId;
    },
    port: () => http?.port() ?? 0,
    advert,
  };
}
