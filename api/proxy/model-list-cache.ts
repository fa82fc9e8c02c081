/**
 * The nodes' model lists behind `/api/tags`, `/api/ps` and `/v1/models` (issue 14): each node's
 * answer is kept while what its probe reports (the models in its advert) stays the same, and
 * callers asking at the same time share one fetch, so a list costs a merge of what is held, not one
 * request per node per call. A list is fetched again when the node's advert shows a change, after
 * `maxAgeMs` (what the advert does not carry, like `expires_at`, stays fresh enough), or after a
 * failed fetch.
 */
import type { Target } from './targets.js';

export type ModelEntry = Record<string, unknown>;
export type ListPath = '/api/tags' | '/api/ps';

export interface ModelListCache {
  /** Every target's list, in the targets' order; a node whose fetch fails contributes []. */
  lists(targets: readonly Target[], path: ListPath): Promise<ModelEntry[][]>;
  /** Forgets every list (a model was pulled, created, copied or deleted through the mesh). */
  clear(): void;
}

export function createModelListCache(opts: {
  fetch: (target: Target, path: ListPath) => Promise<ModelEntry[]>;
  /** What the node's advert says of the list now; null: unknown, always fetch. */
  version: (nodeId: string, path: ListPath) => string | null;
  nowMs: () => number;
  maxAgeMs: Record<ListPath, number>;
  onError: (target: Target, err: unknown) => void;
}): ModelListCache {
  /** Keyed by `nodeId|path|via`. */
  const entries = new Map<string, { version: string | null; atMs: number; value: Promise<ModelEntry[]> }>();

  const one = (target: Target, path: ListPath): Promise<ModelEntry[]> => {
    const key = `${target.nodeId}|${path}|${target.via}`;
    const version = opts.version(target.nodeId, path);
    const nowMs = opts.nowMs();
    const hit = entries.get(key);
    if (hit && version !== null && hit.version === version && nowMs - hit.atMs < opts.maxAgeMs[path]) return hit.value;
    const value = opts.fetch(target, path).catch((err: unknown) => {
      // Not kept: the next caller asks the node again.
      if (entries.get(key)?.value === value) entries.delete(key);
      opts.onError(target, err);
      return [];
    });
    if (entries.size > 1024) entries.clear(); // bounded by the mesh, with a margin
    entries.set(key, { version, atMs: nowMs, value });
    return value;
  };

  return {
    lists: (targets, path) => Promise.all(targets.map((t) => one(t, path))),
    clear: () => entries.clear(),
  };
}

/** The version of a node's list as its advert tells it: the models (tags) or the loaded models (ps). */
export function advertListVersion(
  ollama: { models: readonly { name: string; sizeBytes: number | null }[]; loaded: readonly { name: string; expiresAt: string | null }[] } | null | undefined,
  path: ListPath,
): string | null {
  if (!ollama) return null;
  return path === '/api/tags' ? ollama.models.map((m) => `${m.name}:${m.sizeBytes ?? ''}`).join(',') : ollama.loaded.map((m) => `${m.name}@${m.expiresAt ?? ''}`).join(',');
}
