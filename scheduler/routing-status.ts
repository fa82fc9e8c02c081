/**
 * What routing saw, next to what the election decided (issue 10 §4): the election may pick a node
 * that the routed endpoints cannot reach right now (its relay fails, its service stopped answering),
 * and then traffic goes elsewhere. Placement, the Overview and `inference-mesh status` say so, in
 * these words: "elected gaming-pc, unreachable: connection refused; serving from hub".
 */
import { z } from 'zod';
import { placementSchema } from './placement-view.js';
import { KIND_IDS, type KindId } from '../agent/kernel/kinds.js';

export const unreachableNodeSchema = z.object({
  nodeId: z.string(),
  name: z.string(),
  /** The last failure, in words ("connection refused at …", "no answer within 300000 ms"). */
  reason: z.string(),
  sinceMs: z.number(),
  /** Routing tries it first again from then on (`proxy.suspectSec`). */
  untilMs: z.number(),
});
export type UnreachableNode = z.infer<typeof unreachableNodeSchema>;

export const kindRoutingSchema = z.object({
  /** The node a request of this kind goes to first right now (null: none). */
  serving: z.object({ nodeId: z.string(), name: z.string() }).nullable(),
  /** Nodes that failed a routed request lately, tried last until `untilMs`. */
  unreachable: z.array(unreachableNodeSchema),
});
export type KindRouting = z.infer<typeof kindRoutingSchema>;

export const routingStatusSchema = z.object(Object.fromEntries(KIND_IDS.map((k) => [k, kindRoutingSchema])) as Record<KindId, typeof kindRoutingSchema>);
export type RoutingStatus = z.infer<typeof routingStatusSchema>;

/** `GET /api/v1/placement`: the election, and what routing sees of it right now. */
export const placementAnswerSchema = placementSchema.extend({ routing: routingStatusSchema.optional() });
export type PlacementAnswer = z.infer<typeof placementAnswerSchema>;

/**
 * "elected gaming-pc, unreachable: connection refused; serving from hub", or null when the elected
 * node is not known to be unreachable.
 */
export function unreachableNote(electedNodeId: string | null, routing: KindRouting | undefined): string | null {
  if (!routing || electedNodeId === null) return null;
  const down = routing.unreachable.find((u) => u.nodeId === electedNodeId);
  if (!down) return null;
  const serving = routing.serving && routing.serving.nodeId !== electedNodeId ? `serving from ${routing.serving.name}` : 'no other node to serve from';
  return `elected ${down.name}, unreachable: ${down.reason}; ${serving}`;
}
