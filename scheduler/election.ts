/**
 * The election (issue 4 §3, issue 12, DESIGN.md §4): a pure, total, deterministic function of the
 * registry snapshot (adverts), the policy, the pins and `nowMs`. It reads only what nodes advertise,
 * never an agent's memory, so agents with the same adverts elect the same result whatever their
 * history; ties break by node id. Hysteresis comes from the adverts too: the node that advertises it
 * has served a kind the longest keeps it while eligible, unless a candidate is clearly better
 * (earlier in `prefer`, or a higher priority). Reasons are data; words are made by `placement-view.ts`.
 */
import { z } from 'zod';
import type { NodeRecord } from '../discovery/types.js';
import { effectivePriority, evaluate, hasGpu, maxVramMb } from './eligibility.js';
import type { PlacementPolicy } from '../agent/kernel/shapes/offer.js';
import { KIND_IDS, KINDS, type KindId } from '../agent/kernel/kinds.js';
import { inForce, newestPins, type Pin } from '../agent/kernel/shapes/override.js';
import { PIN_OVERRIDES, batchReasonSchema, reason, reasonSchema, type BatchReason, type Reason } from '../agent/kernel/shapes/reason.js';

export const electedCandidateSchema = z.object({
  nodeId: z.string(),
  name: z.string(),
  eligible: z.boolean(),
  why: reasonSchema,
  priority: z.number(),
  /** May take batch work (Immich indexing). */
  batch: z.boolean(),
  /** The node advertises a GPU (for "batch → hub (CPU)"). */
  gpu: z.boolean(),
});
export type ElectedCandidate = z.infer<typeof electedCandidateSchema>;

export const kindElectionSchema = z.object({
  elected: z.string().nullable(),
  /** Why the elected node serves (or why nothing can, or which pin waits). */
  why: reasonSchema,
  candidates: z.array(electedCandidateSchema),
  /** Kinds with batch work (Immich ML): the node it goes to (null = hold it, e.g. pause the queues). */
  batchElected: z.string().nullable(),
  /** Why batch work goes where it goes when that is not the plain batch rule. */
  batchWhy: batchReasonSchema.nullable(),
});
export type KindElection = z.infer<typeof kindElectionSchema>;

export interface Election {
  atMs: number;
  kinds: Record<KindId, KindElection>;
  /** When the result may change with no other input (a window boundary, an expiry); null = never. */
  nextChangeAtMs: number | null;
}

export interface ElectionInput {
  nodes: readonly NodeRecord[];
  policy: PlacementPolicy;
  /** Pins this agent holds; merged with the pins every node advertises (the newest per kind wins). */
  pins: readonly Pin[];
  nowMs: number;
}

interface Ranked {
  node: NodeRecord;
  eligible: boolean;
  why: Reason;
  priority: number;
  preferIndex: number;
  batch: boolean;
}

/** Orders candidates: `prefer` first (in its order), then priority, then VRAM, then node id. */
function compare(a: Ranked, b: Ranked): number {
  return a.preferIndex - b.preferIndex || b.priority - a.priority || maxVramMb(b.node) - maxVramMb(a.node) || a.node.nodeId.localeCompare(b.node.nodeId);
}

function clearlyBetter(challenger: Ranked, incumbent: Ranked): boolean {
  return challenger.preferIndex < incumbent.preferIndex || (challenger.preferIndex === incumbent.preferIndex && challenger.priority > incumbent.priority);
}

type ServingKey = KindId | 'batch';

/** The eligible node that advertises it has served `key` the longest (ties: lowest id). */
function incumbentOf(eligible: readonly Ranked[], key: ServingKey): Ranked | null {
  let best: { r: Ranked; sinceMs: number } | null = null;
  for (const r of eligible) {
    const sinceMs = r.node.advert?.serving?.[key] ?? null;
    if (sinceMs === null) continue;
    if (!best || sinceMs < best.sinceMs || (sinceMs === best.sinceMs && r.node.nodeId < best.r.node.nodeId)) best = { r, sinceMs };
  }
  return best?.r ?? null;
}

function pick(ranked: readonly Ranked[], key: ServingKey): Ranked | null {
  const eligible = ranked.filter((r) => r.eligible);
  const best = eligible[0] ?? null;
  const incumbent = incumbentOf(eligible, key);
  if (incumbent && best && best !== incumbent && !clearlyBetter(best, incumbent)) return incumbent;
  return best;
}

export function electKind(kind: KindId, input: ElectionInput, opts: { model?: string } = {}): { placement: KindElection; changesAtMs: number[] } {
  const policy = input.policy[kind];
  const hasBatch = KINDS[kind].traits.batchWork;
  const batchNames = hasBatch ? policy.batchNodes : undefined;
  // With no batchNodes and no GPU anywhere, the CPUs did this work before the agent came: let them (issue 12).
  const gpuInMesh = input.nodes.some(hasGpu);
  const changes: number[] = [];
  const ranked = input.nodes
    .map((node): Ranked => {
      const e = evaluate(node, kind, input.nowMs, { model: opts.model });
      changes.push(...e.changesAtMs);
      const idx = policy.prefer.indexOf(node.name);
      return {
        node,
        eligible: e.eligible,
        why: e.why,
        priority: effectivePriority(node),
        preferIndex: idx === -1 ? Number.MAX_SAFE_INTEGER : idx,
        batch: batchNames ? batchNames.includes(node.name) : gpuInMesh ? hasGpu(node) : true,
      };
    })
    .sort(compare);

  const pin = newestPins(input.pins, input.nodes).find((p) => p.kind === kind && p.nodeId !== null && inForce(p, input.nowMs));
  if (pin?.untilMs) changes.push(pin.untilMs);
  let winner: Ranked | null = null;
  let why: Reason = reason('no-eligible', {});
  const pinned = pin ? ranked.find((r) => r.node.nodeId === pin.nodeId) : undefined;
  // A pin overrides windows and ranking; the owner's rules (game, GPU load, `offer out`, cool-down,
  // VRAM reserve) and a node that is down beat it, and the pin waits (issue 12).
  if (pin && pinned && (pinned.eligible || PIN_OVERRIDES.has(pinned.why.code))) {
    winner = pinned;
    why = reason('pinned', { untilMs: pin.untilMs });
    pinned.eligible = true;
    pinned.why = why;
  } else {
    winner = pick(ranked, kind);
    if (winner) why = winner.why;
    if (pin?.nodeId) {
      const because = pinned && pinned.why.code !== 'pin-waiting' && pinned.why.code !== 'pinned' ? pinned.why : reason('down', { sinceMs: null });
      why = reason('pin-waiting', { pinnedTo: pin.nodeId, pinnedName: pinned?.node.name ?? pin.nodeId.slice(0, 8), untilMs: pin.untilMs, because });
      if (pinned) pinned.why = why;
    }
  }

  let batchWinner: Ranked | null = null;
  let batchWhy: BatchReason | null = null;
  if (hasBatch) {
    batchWinner = pick(
      ranked.filter((r) => r.batch),
      'batch',
    );
    if (batchWinner && !batchNames && !gpuInMesh) batchWhy = { code: 'batch-any-node', params: {} };
    // Holding batch work needs someone to pause Immich's queues; if nobody can, a job sent to us
    // fails for good (Immich drops it), so the best eligible node (the CPU) takes it (issue 12).
    const canHold = input.nodes.some((n) => n.state === 'up' && n.advert?.pausesImmichQueues === true);
    if (!batchWinner && !canHold && winner) {
      batchWinner = winner;
      batchWhy = { code: 'batch-unpausable', params: {} };
      for (const r of ranked) if (r.eligible) r.batch = true;
    }
  }
  return {
    placement: {
      elected: winner?.node.nodeId ?? null,
      why,
      candidates: ranked.map((r) => ({ nodeId: r.node.nodeId, name: r.node.name, eligible: r.eligible, why: r.why, priority: r.priority, batch: r.batch, gpu: hasGpu(r.node) })),
      batchElected: batchWinner?.node.nodeId ?? null,
      batchWhy,
    },
    changesAtMs: changes,
  };
}

export function elect(input: ElectionInput): Election {
  const kinds = {} as Election['kinds'];
  const changes: number[] = [];
  for (const kind of KIND_IDS) {
    const r = electKind(kind, input);
    kinds[kind] = r.placement;
    changes.push(...r.changesAtMs);
  }
  const future = changes.filter((t) => t > input.nowMs);
  return { atMs: input.nowMs, kinds, nextChangeAtMs: future.length ? Math.min(...future) : null };
}
