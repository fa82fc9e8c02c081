/**
 * A placement as the API, CLI and web UI see it: the election's structured result with the words
 * next to each reason (`reason`), made here and only here (issue 12). Clients that read `reason`
 * keep working; code that decides reads `why.code`.
 */
import { perKind } from '../agent/kernel/kinds.js';
import { z } from 'zod';
import { electedCandidateSchema, kindElectionSchema, type Election, type KindElection } from './election.js';
import { batchWords, reasonWords, type WordsContext } from './reason-words.js';

export const candidateSchema = electedCandidateSchema.extend({ reason: z.string().describe('The words for `why`, in the displaying node\'s time zone.') });
export type Candidate = z.infer<typeof candidateSchema>;

export const kindPlacementSchema = kindElectionSchema.extend({
  candidates: z.array(candidateSchema),
  reason: z.string().describe('The words for `why`.'),
  batchReason: z.string().nullable().describe('The words for `batchWhy`, e.g. "no GPU node offered, and no Immich API key to pause the queues".'),
});
export type KindPlacement = z.infer<typeof kindPlacementSchema>;

export const placementSchema = z.object({
  atMs: z.number(),
  kinds: z.object(perKind(() => kindPlacementSchema)),
  /** When the result may change with no other input (a window boundary, an expiry); null = never. */
  nextChangeAtMs: z.number().nullable(),
});
export type Placement = z.infer<typeof placementSchema>;

export function describeKind(k: KindElection, ctx: WordsContext): KindPlacement {
  return {
    ...k,
    reason: reasonWords(k.why, ctx),
    batchReason: k.batchWhy ? batchWords(k.batchWhy) : null,
    candidates: k.candidates.map((c) => ({ ...c, reason: reasonWords(c.why, ctx) })),
  };
}

export function describePlacement(e: Election, zone: string): Placement {
  const ctx = { nowMs: e.atMs, zone };
  return { atMs: e.atMs, nextChangeAtMs: e.nextChangeAtMs, kinds: perKind((kind) => describeKind(e.kinds[kind], ctx)) };
}
