import { Hono } from 'hono';
import type { NodeRecord } from '../../discovery/types.js';

/** `GET /api/v1/nodes`: every node of the mesh, this one first, merged from all sources. */
export function nodesRoutes(deps: { nodes: () => NodeRecord[] }): Hono {
  return new Hono().get('/nodes', (c) => c.json({ nodes: deps.nodes() }));
}
