/**
 * The election (issue 4 §3, issue 12, DESIGN.md §4): a pure, total, deterministic function of the
 * registry snapshot (adverts), the policy, the pins and `nowMs`. It reads only what nodes advertise,
 * never an agent's memory, so agents with the same adverts elect the same result whatever their
 * history; ties break by node id. Hysteresis comes from the adverts too: the node that advertises it
 * has served a kind the longest keeps it while eligible, unless a candidate is clearly better
 * (earlier in `prefer`, or a higher priority). Among nodes of equal `prefer` position and priority
 * the one measured faster serves (issue 15, the figures each node advertises): before VRAM and node
 * id, and with a margin, so figures that wobble never flip the winner. Reasons are data; words are
 * made by `placement-view.ts`.
 */
import { z } from 'zod';
import type { NodeRecord } from '../discovery/types.js';
import { compareIds } from '../agent/kernel/compare-text.js';
import { effectivePriority, evaluate, hasGpu, maxVramMb } from './eligibility.js';
import type { PlacementPolicy } from '../agent/kernel/shapes/offer.js';
import { KIND_IDS, KINDS, type KindId } from '../agent/kernel/kinds.js';
import { inForce, newestPins, type Pin } from '../agent/kernel/shapes/override.js';
import { DEFAULT_MARGIN_PCT, type AdvertisedSpeed, type SpeedFigure } from '../agent/kernel/shapes/speed.js';
import { fasterOf } from './speed.js';
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
  return a.preferIndex - b.preferIndex || b.priority - a.priority || maxVramMb(b.node) - maxVramMb(a.node) || compareIds(a.node.nodeId, b.node.nodeId);
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

/** Where a kind's figures are in a node's advertised speed; other kinds are not compared by speed. */
const SPEED_FIGURES: Partial<Record<KindId, keyof AdvertisedSpeed>> = { ollama: 'models', 'immich-ml': 'tasks' };
/** The metrics a reason can name, in the order fasterOf compares them (scheduler/speed.ts). */
const METRICS = [
  ['genTokPerSec', 'tok/s'],
  ['promptTokPerSec', 'prompt tok/s'],
  ['latencyMs', 'ms'],
] as const;

const figureOf = (r: Ranked, where: keyof AdvertisedSpeed, subject: string): SpeedFigure | null => r.node.advert?.speed?.[where][subject] ?? null;

/**
 * With no model named (the kind's standing election): the subject measured most (samples summed)
 * on at least two nodes of the group, ties by name; null when no two nodes share one.
 */
function busiestSubject(group: readonly Ranked[], where: keyof AdvertisedSpeed): string | null {
  const seen = new Map<string, { nodes: number; samples: number }>();
  for (const r of group) {
    for (const [name, f] of Object.entries(r.node.advert?.speed?.[where] ?? {})) {
      const s = seen.get(name) ?? { nodes: 0, samples: 0 };
      seen.set(name, { nodes: s.nodes + 1, samples: s.samples + f.n });
    }
  }
  const shared = [...seen].filter(([, s]) => s.nodes >= 2).sort(([a, x], [b, y]) => y.samples - x.samples || (a < b ? -1 : a > b ? 1 : 0));
  return shared[0]?.[0] ?? null;
}

/**
 * Speed among equals (issue 15): `best` (the incumbent, or first in today's order) keeps serving
 * unless a node of the same `prefer` position and priority is faster by more than the margin. The
 * reason says so whenever the winner is measured faster than every other measured node of its group
 * (not when the margin merely keeps a slower incumbent); an unmeasured node is never displaced.
 */
function bySpeed(best: Ranked, ranked: readonly Ranked[], kind: KindId, model: string | undefined): { winner: Ranked; why: Reason | null } {
  const where = SPEED_FIGURES[kind];
  const group = ranked.filter((r) => r.eligible && r.preferIndex === best.preferIndex && r.priority === best.priority);
  const subject = where === undefined || group.length < 2 ? null : (model ?? busiestSubject(group, where));
  if (where === undefined || subject === null) return { winner: best, why: null };
  const fig = (r: Ranked): SpeedFigure | null => figureOf(r, where, subject);
  let fastest = best;
  for (const r of group) if (fasterOf(fig(fastest), fig(r), 0) !== fig(fastest)) fastest = r;
  const winner = fasterOf(fig(best), fig(fastest), DEFAULT_MARGIN_PCT) === fig(best) ? best : fastest;
  const mine = fig(winner);
  if (mine === null) return { winner, why: null };
  const others = group.filter((r) => r !== winner);
  if (others.some((r) => fasterOf(mine, fig(r), 0) !== mine)) return { winner, why: null };
  for (const [metric, unit] of METRICS) {
    const value = mine[metric] ?? null;
    const compared = others.flatMap((r) => {
      const v = fig(r)?.[metric] ?? null;
      return v === null ? [] : [{ name: r.node.name, value: v }];
    });
    if (value !== null && compared.length > 0) return { winner, why: reason('fastest', { subject, unit, value, others: compared.slice(0, 3) }) };
  }
  return { winner, why: null };
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
    if (winner) {
      const fastest = bySpeed(winner, ranked, kind, opts.model);
      winner = fastest.winner;
      // The kind says why this node serves; the node's own entry keeps why it is eligible (its window).
      why = fastest.why ?? winner.why;
    }
    if (pin?.nodeId) {
      const because = pinned && pinned.why.code !== 'pin-waiting' && pinned.why.code !== 'pinned' && pinned.why.code !== 'fastest' ? pinned.why : reason('down', { sinceMs: null });
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
