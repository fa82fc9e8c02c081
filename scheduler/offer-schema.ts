/**
 * A node's offer (issue 4 §1) and the routing node's placement policy (§2): one zod schema each.
 * The offer is advertised to peers as configured, so every agent elects from the same inputs.
 */
import { z } from 'zod';
import { isValidTimeZone, timeWindowSchema } from './windows.js';

export const SERVICE_KINDS = ['ollama', 'immich-ml'] as const;
export const serviceKindSchema = z.enum(SERVICE_KINDS);
export type ServiceKind = z.infer<typeof serviceKindSchema>;

export const offerSchema = z.strictObject({
  /** Higher wins. Default: derived from the GPU's VRAM (CPU-only nodes lowest). */
  priority: z.number().int().min(0).max(1000).optional(),
  /** The zone the windows are written in (IANA). Default: this machine's zone. */
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London').optional(),
  /** When this node's services may be used; absent or empty = always. */
  windows: z.array(timeWindowSchema).optional(),
  notWhile: z
    .strictObject({
      /** Process names (a game, a launcher) that take this node out while they run; `.exe` and case are ignored. */
      processes: z.array(z.string().trim().min(1)).default([]),
      /** Take the node out while GPU utilisation stays above this (%), for `forSec`. null = never. */
      gpuUtilizationPct: z.number().min(1).max(100).nullable().default(null),
      forSec: z.number().int().min(0).max(3600).default(30),
    })
    .prefault({}),
  /** VRAM to keep free for the owner (a game); the node is not offered while less is free. */
  vramReserveMb: z.number().int().min(0).default(0),
  /** After a game or GPU load ends, wait this long before offering the node again. */
  coolDownSec: z.number().int().min(0).max(86_400).default(300),
  /** Models to load into Ollama when a window opens here (warm-up); empty = none. */
  warmUpModels: z.array(z.string().min(1)).default([]),
});
export type Offer = z.infer<typeof offerSchema>;

const nodeNames = z.array(z.string().min(1));
export const placementPolicySchema = z.strictObject({
  ollama: z.strictObject({ prefer: nodeNames.default([]) }).prefault({}),
  'immich-ml': z
    .strictObject({
      prefer: nodeNames.default([]),
      /** Nodes batch work (Immich indexing) may use; absent = every node with a GPU. */
      batchNodes: nodeNames.optional(),
    })
    .prefault({}),
});
export type PlacementPolicy = z.infer<typeof placementPolicySchema>;
