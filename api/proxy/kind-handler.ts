/**
 * The routed endpoint of a plain HTTP kind (issue 13): any kind whose requests need no more than
 * its descriptor says (agent/kernel/kinds.ts) — the model a request names, interactive or batch,
 * the error shape. Ollama and Immich ML have their own handlers for what only they do (merged model
 * lists and fallbacks; holding indexing for a waking node). A request naming a model goes to the
 * first eligible node that has it (any eligible node when none lists it: an alias); before the first byte a failed node is replaced by the next one.
 */
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../agent/kernel/clock.js';
import { KINDS, type KindId } from '../../agent/kernel/kinds.js';
import type { Logger } from '../../agent/kernel/log.js';
import { finishExhausted, forwardEvent, forwardWithFailover, readBody } from './forward.js';
import type { SpeedMeter } from './speed-meter.js';
import { sendKindError } from './kind-errors.js';
import { closeAfterRefusal } from './linger.js';
import type { Routing } from './routing.js';
import type { ProxyStats } from './stats.js';
import type { Target } from './targets.js';
import type { RelayCredentials } from './upstream.js';

/** What forwarding a request to a kind's targets needs. */
export interface ForwardDeps {
  routing: Routing;
  stats: ProxyStats;
  clock: Clock;
  log: Logger;
  agent: http.Agent;
  firstByteTimeoutMs: number;
  relay: RelayCredentials;
  /** Measures answers when this node serves itself (issue 15); kinds it does not measure get none. */
  speed?: SpeedMeter;
}

export interface KindHandlerDeps extends ForwardDeps {
  maxBodyBytes: number;
}

/**
 * Sends the request to `targets` in order with failover before the first byte (a 4xx is the answer;
 * 5xx and timeouts go to the next node), answers in the kind's error shape when every one failed,
 * and records the outcome. Shared by every kind's handler that has nothing to add to it.
 */
export async function forwardToTargets(
  kind: KindId,
  deps: ForwardDeps,
  r: {
    req: IncomingMessage;
    res: ServerResponse;
    path: string;
    body: Buffer;
    targets: readonly Target[];
    model: string | null;
    failed: (reason: string) => string;
  },
): Promise<void> {
  const d = KINDS[kind];
  const bare = r.path.split('?')[0] ?? r.path;
  const t0 = deps.clock.monotonicMs();
  const result = await forwardWithFailover({
    req: r.req,
    res: r.res,
    attempts: r.targets.map((target) => ({ target, path: r.path, body: r.body, rewrite: null, headers: { 'x-inference-mesh-node': target.name } })),
    clock: deps.clock,
    agent: deps.agent,
    firstByteTimeoutMs: deps.firstByteTimeoutMs,
    retryable: (status) => status >= 500,
    errorFrame: d.errorFrame,
    relay: deps.relay,
    ...(deps.speed ? { meter: deps.speed({ kind, path: bare, headers: r.req.headers, body: r.body }) } : {}),
    onFailover: (target, reason) => {
      deps.routing.markSuspect(kind, target.nodeId, reason);
      deps.stats.recordUnreachable(kind, target.name);
      deps.log.warn(`failing over to the next ${d.label} node`, { node: target.name, reason });
    },
  });
  finishExhausted(r.res, result, () => d.errorBody(bare, r.failed(result.reason ?? 'no answer'), 502));
  deps.stats.record(forwardEvent(kind, result, r.res, { totalMs: deps.clock.monotonicMs() - t0, path: bare, model: r.model, substitutedModel: null }));
}

export function createKindHandler(kind: KindId, deps: KindHandlerDeps) {
  const d = KINDS[kind];
  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const bare = path.split('?')[0] ?? path;
    const body = await readBody(req, deps.maxBodyBytes);
    if (body === null) {
      sendKindError(res, kind, bare, 413, `request body larger than ${deps.maxBodyBytes} bytes`);
      return closeAfterRefusal(req, res, deps.clock);
    }
    const { model } = await d.classify({ method, path: bare, contentType: String(req.headers['content-type'] ?? ''), body });
    // A name no node lists may be an alias the server resolves itself (speaches' `whisper-1`): then
    // the elected node answers, with its own 404 if it has no such model.
    const withModel = model === null ? [] : deps.routing.targets(kind, { model });
    const targets = withModel.length > 0 ? withModel : deps.routing.targets(kind);
    if (targets.length === 0) {
      const why = deps.routing.whyNone(kind, model ?? undefined);
      deps.stats.recordNoCandidate(kind, { model, path: bare, status: 503, reason: why });
      return sendKindError(res, kind, bare, 503, `no node is serving ${d.label}${model ? ` with model '${model}'` : ''} right now (${why})`);
    }
    await forwardToTargets(kind, deps, { req, res, path, body, targets, model, failed: (reason) => `every node failed: ${reason}` });
  };
}
