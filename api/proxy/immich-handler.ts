/**
 * The stable Immich ML endpoint (issue 5 §5, §6): `/immich-ml/` (Immich v3 resolves `ping` and
 * `predict` relative to the URL, so users must end it with a slash — PROTOCOLS.md §2.5) or the
 * dedicated port. `POST /predict` is forwarded untouched. Text queries (CLIP textual) are
 * interactive: any eligible node, the hub included. Image work follows the batch policy and, when
 * the only batch node is waking, is held up to `holdMs` instead of failing. Every request has a
 * timeout (Immich itself sets none) with failover to the next node.
 */
import { KINDS } from '../../agent/kernel/kinds.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './forward.js';
import { forwardToTargets, type ForwardDeps } from './kind-handler.js';
import { closeAfterRefusal } from './linger.js';
import type { Routing } from './routing.js';

export interface ImmichHandlerDeps extends ForwardDeps {
  maxBodyBytes: number;
  holdMs: number;
  /** True while a batch node was sent a Wake-on-LAN packet and is not up yet. */
  batchNodeWaking: () => boolean;
}

/** FastAPI's error shape (PROTOCOLS.md §2.4). */
const detail = (message: string): string => JSON.stringify({ detail: message });

export function createImmichHandler(deps: ImmichHandlerDeps) {
  const send = (res: ServerResponse, status: number, body: string, contentType = 'application/json'): void => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  /** Waits (bounded) for a batch node while one is waking; interactive work never waits. */
  const holdForBatch = async (): Promise<ReturnType<Routing['targets']>> => {
    const deadline = deps.clock.monotonicMs() + deps.holdMs;
    for (;;) {
      const targets = deps.routing.targets('immich-ml', { batchOnly: true });
      if (targets.length > 0 || !deps.batchNodeWaking() || deps.clock.monotonicMs() >= deadline) return targets;
      await deps.clock.sleep(500);
    }
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const bare = path.split('?')[0] ?? path;
    if (bare === '/' && method === 'GET') return send(res, 200, JSON.stringify({ message: 'Immich ML' }));
    if (bare === '/ping' && method === 'GET') {
      // Immich pings every 30 s (PROTOCOLS.md §2.5): pong while some node can take the work.
      const any = deps.routing.targets('immich-ml').length > 0;
      return any ? send(res, 200, 'pong', 'text/plain; charset=utf-8') : send(res, 503, detail(`no machine-learning node is available: ${deps.routing.whyNone('immich-ml')}`));
    }
    if (bare !== '/predict' || method !== 'POST') return send(res, 404, detail('Not Found'));

    const body = await readBody(req, deps.maxBodyBytes);
    if (body === null) {
      send(res, 413, detail(`request body larger than ${deps.maxBodyBytes} bytes`));
      return closeAfterRefusal(req, res, deps.clock);
    }
    // Interactive when every entry is a CLIP text query (a search); image work is indexing (the kind's descriptor).
    const { batch } = await KINDS['immich-ml'].classify({ method, path: bare, contentType: String(req.headers['content-type'] ?? ''), body });
    const interactive = !batch;
    const targets = interactive ? deps.routing.targets('immich-ml') : await holdForBatch();
    if (targets.length === 0) {
      const why = interactive ? deps.routing.whyNone('immich-ml') : 'no batch node is offered (they are outside their windows, busy or down)';
      deps.stats.recordNoCandidate('immich-ml', { model: null, path: bare, status: 503, reason: why });
      return send(res, 503, detail(`no machine-learning node is available for ${interactive ? 'search' : 'indexing'}: ${why}`));
    }
    await forwardToTargets('immich-ml', deps, {
      req,
      res,
      path,
      body,
      targets,
      model: null,
      failed: (reason) => `every machine-learning node failed: ${reason}`,
    });
  };
}
