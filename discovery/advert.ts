/**
 * A node's full advert: what `GET /api/v1/node` serves and what peers fetch over HTTP (the mDNS TXT
 * only carries a pointer to it, DESIGN.md §5). Peers are untrusted input, so the same schema parses
 * every advert that arrives.
 */
import { z } from 'zod';
import { perKind } from '../agent/kernel/kinds.js';
import {
  activityFactsSchema,
  hardwareFactsSchema,
  networkFactsSchema,
  serviceFactsSchema,
  probeNameSchema,
  probeStatusSchema,
} from '../agent/kernel/shapes/facts.js';
import { busyStateSchema } from '../agent/kernel/shapes/busy-state.js';
import { offerSchema } from '../agent/kernel/shapes/offer.js';
import { advertisedSpeedSchema } from '../agent/kernel/shapes/speed.js';
import { offerOverrideForSchema, offerOverrideSchema, pinSchema } from '../agent/kernel/shapes/override.js';

/** 2: services and serving keyed by kind id (issue 13). Agents of other versions do not talk to each other. */
export const ADVERT_VERSION = 2;

export const nodeAdvertSchema = z.object({
  v: z.literal(ADVERT_VERSION),
  nodeId: z.string().regex(/^[0-9a-f]{32}$/),
  name: z.string().min(1).max(63),
  agentVersion: z.string(),
  startedAtMs: z.number().int().nonnegative(),
  /** The agent port peers and clients talk to. */
  port: z.number().int().min(1).max(65535),
  hardware: hardwareFactsSchema.nullable(),
  /** What each local service's probe found, per kind; a kind this agent does not know yet reads as null. */
  services: z.object(perKind(() => serviceFactsSchema.nullable().default(null))),
  activity: activityFactsSchema.nullable(),
  network: networkFactsSchema.nullable(),
  probes: z.partialRecord(probeNameSchema, probeStatusSchema),
  /** The node's offer as configured (windows, game rules): peers evaluate it with their own clock. */
  offer: offerSchema.nullable().default(null),
  /** What the node itself observed: busy with a game, cooling down. */
  offerState: busyStateSchema.nullable().default(null),
  /** A manual "offer now" or "take out", set on the node itself. */
  offerOverride: offerOverrideSchema.nullable().default(null),
  /**
   * The members this node has verified itself and reaches now, with the address each proved it
   * answers on (issue 17): one sighting of any member finds the rest. Hearsay only: every agent
   * verifies each one directly before it adds it (discovery/discovery.ts).
   */
  members: z
    .array(z.object({ nodeId: z.string().regex(/^[0-9a-f]{32}$/), addr: z.string().max(64) }))
    .max(256)
    .default([]),
  /** Offer overrides set on this agent, for any node, with the time they were set; each node adopts the newest for itself (issue 12). */
  offerOverrides: z.array(offerOverrideForSchema).max(64).default([]),
  /** Pins set on this agent (or taken from peers), with the time they were set: the newest per kind counts mesh-wide (issue 12). */
  pins: z.array(pinSchema).max(16).default([]),
  /**
   * Since when this node serves each kind by its own election (null = not): the shared memory that
   * hysteresis reads, so an agent that restarts keeps the winner its peers keep (issue 12).
   */
  serving: z.object({ ...perKind(() => z.number().nullable().default(null)), batch: z.number().nullable().default(null) }).nullable().default(null),
  /** This node can pause Immich's queues (an Immich API key is configured), so batch work may be held. */
  pausesImmichQueues: z.boolean().default(false),
  /** How fast this node's own services answered lately, per model and Immich ML task (issue 15); null: not measured (a plain endpoint). */
  speed: advertisedSpeedSchema.nullable().default(null),
});
export type NodeAdvert = z.infer<typeof nodeAdvertSchema>;
