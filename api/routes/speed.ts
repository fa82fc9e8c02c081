/**
 * `GET /api/v1/speed` (issue 15): how fast each node really is, per model and Immich ML task, as
 * each node advertises its own figures (measured by the node that served, agent/speed-book.ts).
 * Read from the registry's adverts only, so every agent answers the same.
 */
import { Hono } from 'hono';
import type { SpeedAnswer } from '../../agent/kernel/shapes/speed.js';
import type { NodeRecord } from '../../discovery/types.js';

export function speedAnswerOf(nodes: readonly NodeRecord[], nowMs: number): SpeedAnswer {
  return {
    atMs: Math.round(nowMs),
    nodes: nodes.flatMap((n) =>
      n.advert
        ? [{ nodeId: n.nodeId, name: n.name, gpu: n.advert.hardware?.gpus[0]?.model ?? null, speed: n.advert.speed ?? { models: {}, tasks: {} } }]
        : [],
    ),
  };
}

export function speedRoutes(deps: { nodes: () => NodeRecord[]; nowMs: () => number }): Hono {
  // Figures change with every answer a node serves: a stored copy would be stale.
  return new Hono().get('/speed', (c) => c.json(speedAnswerOf(deps.nodes(), deps.nowMs()), 200, { 'Cache-Control': 'no-store' }));
}
