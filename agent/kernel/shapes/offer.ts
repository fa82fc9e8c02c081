/**
 * A node's offer (issue 4 §1) and the routing node's placement policy (§2): one zod schema each.
 * The offer is advertised to peers as configured, so every agent elects from the same inputs.
 */
import { z } from 'zod';
import { ALL_KINDS, perKind, type KindDescriptor } from '../kinds.js';
import { isValidTimeZone, timeWindowSchema } from './time-window.js';


/**
 * Lists in an offer or policy come from a person (or a peer's advert): far more entries than anyone
 * writes is an attack on memory, so every list and name is capped (issue 11).
 */
const MAX_LIST = 100;
const MAX_NAME = 255;

export const offerSchema = z.strictObject({
  /** Higher wins. Default: derived from the GPU's VRAM (CPU-only nodes lowest). */
  priority: z.number().int().min(0).max(1000).optional().describe("Higher wins. Default: derived from the GPU's VRAM (CPU-only nodes lowest)."),
  /** The zone the windows are written in (IANA). Default: this machine's zone. */
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London').optional().describe("The IANA zone the windows are written in, e.g. Europe/London. Default: this machine's zone."),
  /** When this node's services may be used; absent or empty = always. */
  windows: z.array(timeWindowSchema).max(MAX_LIST, `at most ${MAX_LIST} windows`).optional().describe("When this node's services may be used; absent or empty = always. Each window starts on its days at `from` (local time, HH:MM) and ends at `to`, the next day when `to` is not later than `from` (22:00–07:00 crosses midnight); `24:00` ends a day; `from` and `to` must differ. `days` defaults to all seven."),
  notWhile: z
    .strictObject({
      /** Process names (a game, a launcher) that take this node out while they run; `.exe` and case are ignored. */
      processes: z.array(z.string().trim().min(1).max(255)).max(MAX_LIST, `at most ${MAX_LIST} processes`).default([]).describe('Process names (a game, a launcher) that take this node out while they run; `.exe` and case are ignored.'),
      /** Take the node out while GPU utilisation stays above this (%), for `forSec`. null = never. */
      gpuUtilizationPct: z.number().min(1).max(100).nullable().default(null).describe('Take the node out while GPU utilisation stays above this (%) for `forSec`. null = never.'),
      forSec: z.number().int().min(0).max(3600).default(30).describe('How long GPU utilisation must stay above gpuUtilizationPct before the node is taken out.'),
    })
    .prefault({})
    .describe('Take the node out while a game runs or the GPU is busy with something else.'),
  /** VRAM to keep free for the owner (a game); the node is not offered while less is free. */
  vramReserveMb: z.number().int().min(0).default(0).describe('VRAM to keep free for the owner (a game); the node is not offered while less is free.'),
  /** After a game or GPU load ends, wait this long before offering the node again. */
  coolDownSec: z.number().int().min(0).max(86_400).default(300).describe('After a game or GPU load ends, wait this long before offering the node again.'),
  /** Free memory for the owner: unload this node's Ollama models when it leaves (issue 12), GPU detected or not. */
  unloadOnLeave: z.boolean().default(true).describe("Unload this node's Ollama models when the owner takes it back (a game starts, GPU load, a window closes, `offer out`, cool-down, VRAM reserve), whether or not a GPU was detected."),
  /** Models to load into Ollama when a window opens here (warm-up); empty = none. */
  warmUpModels: z.array(z.string().min(1).max(MAX_NAME)).max(MAX_LIST, `at most ${MAX_LIST} models`).default([]).describe('Ollama models to load when this node becomes eligible (warm-up); empty = none.'),
});
export type Offer = z.infer<typeof offerSchema>;

const nodeNames = z.array(z.string().min(1).max(MAX_NAME)).max(MAX_LIST, `at most ${MAX_LIST} nodes`);
/** One kind's placement rules; `batchNodes` only for kinds with batch work (Immich ML). */
function kindPolicySchema(d: KindDescriptor) {
  const batchNodes = d.traits.batchWork
    ? nodeNames.optional().describe(`Nodes that ${d.label}'s batch work (indexing) may use; absent = every node with a GPU. Interactive requests may use any eligible node.`)
    : nodeNames.optional().refine((v) => v === undefined, `${d.label} has no batch work; batchNodes is for kinds that do (${ALL_KINDS.filter((k) => k.traits.batchWork).map((k) => k.id).join(', ')})`).describe('Not used: this kind has no batch work.');
  return z
    .strictObject({
      prefer: nodeNames.default([]).describe(`Node names to try first for ${d.label}, in order; then priority, VRAM and node id decide.`),
      batchNodes,
    })
    .prefault({})
    .describe(`Placement of ${d.label} (${d.purpose}).`);
}

export const placementPolicySchema = z.strictObject(perKind((_id, d) => kindPolicySchema(d)));
export type PlacementPolicy = z.infer<typeof placementPolicySchema>;
