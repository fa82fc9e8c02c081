/**
 * The stable Ollama endpoint (issue 5 §1–§4): everything under `/ollama/` (or the dedicated port)
 * behaves like an Ollama server. Requests naming a model go to the first eligible node that has
 * it, with failover and, when configured, a smaller fallback model; the model lists are merged
 * across eligible nodes; errors have Ollama's own shapes.
 */
import type { KindHandlerDeps } from './kind-handler.js';
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TimeoutError } from '../../agent/kernel/clock.js';
import { describeError } from '../../agent/kernel/errors.js';
import { finishExhausted, forwardEvent, forwardWithFailover, readBody, type Attempt } from './forward.js';
import { closeAfterRefusal } from './linger.js';
import { isModelNotFound } from './ollama-errors.js';
import { KINDS, ollamaErrorBody, ollamaErrorFrame } from '../../agent/kernel/kinds.js';
import { mergeModelLists, openAiModel } from './ollama-lists.js';
import { createModelListCache, type ListPath, type ModelEntry } from './model-list-cache.js';
import { isModelManagement } from './model-management.js';
import { responseModelRewriter, rewriteRequestModel } from './model-rewrite.js';
import type { Target } from './targets.js';
import { requestUpstream } from './upstream.js';

export interface OllamaHandlerDeps extends KindHandlerDeps {
  modelFallbacks: Readonly<Record<string, string>>;
  /** What a node's advert says of its model list (model-list-cache.ts); null: unknown. */
  listVersion: (nodeId: string, path: ListPath) => string | null;
}

const LIST_TIMEOUT_MS = 5000;
/** How long a node's list is kept while its advert shows no change (ps carries expiry times). */
const LIST_MAX_AGE_MS: Record<ListPath, number> = { '/api/tags': 60_000, '/api/ps': 5000 };

/** GET a small JSON document from a target (its own service, or through its agent). */
function getJson(target: Target, path: string, deps: Pick<OllamaHandlerDeps, 'agent' | 'clock' | 'relay'>, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const { request: req, authentic } = requestUpstream(target, { method: 'GET', path, headers: [], body: Buffer.alloc(0), agent: deps.agent, relay: deps.relay });
    req.on('response', (res) => {
      if (!authentic(res)) {
        res.destroy();
        cancel();
        reject(new Error(`the answer was not signed by ${target.name}'s agent`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        cancel();
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`HTTP ${res.statusCode}`));
        else {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }
      });
      res.on('error', reject);
    });
    const cancel = deps.clock.setTimeout(() => req.destroy(new TimeoutError(timeoutMs)), timeoutMs);
    req.on('error', (err) => {
      cancel();
      reject(err);
    });
    req.end();
  });
}


export function createOllamaHandler(deps: OllamaHandlerDeps) {
  const send = (res: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8', headers: http.OutgoingHttpHeaders = {}): void => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  const cache = createModelListCache({
    fetch: async (t, path) => ((await getJson(t, path, deps, LIST_TIMEOUT_MS)) as { models?: ModelEntry[] | null }).models ?? [],
    version: deps.listVersion,
    nowMs: deps.clock.nowMs,
    maxAgeMs: LIST_MAX_AGE_MS,
    onError: (t, err) => deps.log.debug('model list from a node failed', { node: t.name, error: describeError(err) }),
  });
  /** Each eligible node's list (model-list-cache.ts), merged. */
  const list = async (path: ListPath): Promise<{ models: ModelEntry[]; served: readonly Target[] }> => {
    const targets = deps.routing.targets('ollama');
    return { models: mergeModelLists(await cache.lists(targets, path)), served: targets };
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const bare = path.split('?')[0] ?? path;
    if (bare === '/' && (method === 'GET' || method === 'HEAD')) return send(res, 200, 'Ollama is running', 'text/plain; charset=utf-8');
    if ((bare === '/api/tags' && (method === 'GET' || method === 'HEAD')) || (bare === '/api/ps' && method === 'GET')) {
      const { models } = await list(bare);
      return send(res, 200, JSON.stringify({ models }));
    }
    if (bare === '/v1/models' && method === 'GET') {
      const { models } = await list('/api/tags');
      return send(res, 200, JSON.stringify({ object: 'list', data: models.length ? models.map(openAiModel) : null }));
    }
    if (bare.startsWith('/v1/models/') && method === 'GET') {
      const wanted = decodeURIComponent(bare.slice('/v1/models/'.length));
      const { models } = await list('/api/tags');
      const found = models.find((m) => m.name === wanted || m.name === `${wanted}:latest`);
      return found ? send(res, 200, JSON.stringify(openAiModel(found))) : send(res, 404, ollamaErrorBody(bare, `model '${wanted}' not found`, 404));
    }

    const body = await readBody(req, deps.maxBodyBytes);
    if (body === null) {
      send(res, 413, ollamaErrorBody(bare, `request body larger than ${deps.maxBodyBytes} bytes`, 413));
      return closeAfterRefusal(req, res, deps.clock);
    }
    // A body that is not JSON names no model: the node answers with Ollama's own 400, like Ollama would.
    const model = (await KINDS.ollama.classify({ method, path: bare, contentType: String(req.headers['content-type'] ?? ''), body })).model ?? undefined;

    const attempts: Attempt[] = deps.routing.targets('ollama', model === undefined ? {} : { model }).map((target) => ({ target, path, body, rewrite: null, headers: {} }));
    const fallback = model === undefined ? undefined : deps.modelFallbacks[model];
    if (model !== undefined && fallback !== undefined) {
      for (const target of deps.routing.targets('ollama', { model: fallback })) {
        attempts.push({ target, path, body: rewriteRequestModel(body, fallback), rewrite: responseModelRewriter(fallback, model), headers: { 'x-inference-mesh-model': fallback } });
      }
    }
    for (const a of attempts) a.headers['x-inference-mesh-node'] = a.target.name;
    if (attempts.length === 0) {
      if (model !== undefined) {
        deps.stats.recordNoCandidate('ollama', { model, path: bare, status: 404, reason: `no computer offered now has ${model}` });
        return send(res, 404, ollamaErrorBody(bare, `model '${model}' not found`, 404));
      }
      const why = deps.routing.whyNone('ollama');
      deps.stats.recordNoCandidate('ollama', { model: null, path: bare, status: 503, reason: `no computer serves Ollama now (${why})` });
      return send(res, 503, ollamaErrorBody(bare, `no node is serving Ollama right now (${why})`, 503));
    }

    const t0 = deps.clock.monotonicMs();
    // A model pulled, created, copied or deleted: the lists must show it at once, not at the next probe.
    const changesModels = isModelManagement(bare);
    if (changesModels) cache.clear();
    const result = await forwardWithFailover({
      req,
      res,
      attempts,
      clock: deps.clock,
      agent: deps.agent,
      firstByteTimeoutMs: deps.firstByteTimeoutMs,
      retryable: (status, text) => status >= 500 || isModelNotFound(status, text),
      errorFrame: ollamaErrorFrame,
      relay: deps.relay,
      ...(deps.speed ? { meter: deps.speed({ kind: 'ollama', path: bare, headers: req.headers, body }) } : {}),
      onFailover: (target, reason) => {
        deps.routing.markSuspect('ollama', target.nodeId, reason);
        deps.stats.recordUnreachable('ollama', target.name);
        deps.log.warn('failing over to the next node', { node: target.name, reason, path: bare });
      },
    });
    finishExhausted(res, result, () => ollamaErrorBody(bare, `every node failed: ${result.reason ?? 'no answer'}`, 502));
    if (changesModels) cache.clear(); // and lists fetched while it ran
    const ran = attempts.find((a) => a.target === result.target);
    const substitutedModel = (ran?.headers['x-inference-mesh-model'] as string | undefined) ?? null;
    deps.stats.record(forwardEvent('ollama', result, res, { totalMs: deps.clock.monotonicMs() - t0, path: bare, model: model ?? null, substitutedModel }));
  };
}
