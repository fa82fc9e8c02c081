/**
 * The election (issue 4 §3, DESIGN.md §4): a pure, total, deterministic function of the registry
 * snapshot, the policy, the pins and `nowMs`. Agents with the same inputs elect the same result;
 * ties break by node id. Hysteresis: the previous winner is kept while it stays eligible unless a
 * candidate is clearly better (earlier in `prefer`, or a higher priority) — VRAM and id only order
 * new decisions, they never unseat a winner.
 */
import { z } from 'zod';
import type { NodeRecord } from '../discovery/types.js';
import { effectivePriority, evaluate, hasGpu, maxVramMb } from './eligibility.js';
import type { PlacementPolicy, ServiceKind } from './offer-schema.js';
import { SERVICE_KINDS } from './offer-schema.js';
import { inForce, type Pin } from './override-schema.js';
import { formatLocalTime } from './windows.js';

export const candidateSchema = z.object({
  nodeId: z.string(),
  name: z.string(),
  eligible: z.boolean(),
  reason: z.string(),
  priority: z.number(),
  /** May take batch work (Immich indexing). */
  batch: z.boolean(),
});
export type Candidate = z.infer<typeof candidateSchema>;

export const kindPlacementSchema = z.object({
  elected: z.string().nullable(),
  /** Why the elected node serves (or why nothing can). */
  reason: z.string(),
  candidates: z.array(candidateSchema),
  /** Immich ML: the node batch work goes to (null = hold batch work, e.g. pause the queues). */
  batchElected: z.string().nullable(),
});
export type KindPlacement = z.infer<typeof kindPlacementSchema>;

export const placementSchema = z.object({
  atMs: z.number(),
  kinds: z.object({ ollama: kindPlacementSchema, 'immich-ml': kindPlacementSchema }),
  /** When the result may change with no other input (a window boundary, an expiry); null = never. */
  nextChangeAtMs: z.number().nullable(),
});
export type Placement = z.infer<typeof placementSchema>;

export interface ElectionInput {
  nodes: readonly NodeRecord[];
  policy: PlacementPolicy;
  pins: readonly Pin[];
  nowMs: number;
  /** The last result, for hysteresis. */
  previous: Placement | null;
  /** The zone times are shown in (the routing node's). */
  displayZone: string;
}

interface Ranked {
  node: NodeRecord;
  eligible: boolean;
  reason: string;
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

function pick(ranked: readonly Ranked[], previousId: string | null): Ranked | null {
  const eligible = ranked.filter((r) => r.eligible);
  const best = eligible[0] ?? null;
  const incumbent = eligible.find((r) => r.node.nodeId === previousId) ?? null;
  if (incumbent && best && best !== incumbent && !clearlyBetter(best, incumbent)) return incumbent;
  return best;
}

export function electKind(kind: ServiceKind, input: ElectionInput, opts: { model?: string } = {}): { placement: KindPlacement; changesAtMs: number[] } {
  const policy = input.policy[kind];
  const batchNames = kind === 'immich-ml' ? input.policy['immich-ml'].batchNodes : undefined;
  const changes: number[] = [];
  const ranked = input.nodes
    .map((node): Ranked => {
      const e = evaluate(node, kind, input.nowMs, { model: opts.model, displayZone: input.displayZone });
      if (e.changesAtMs !== null) changes.push(e.changesAtMs);
      const idx = policy.prefer.indexOf(node.name);
      return {
        node,
        eligible: e.eligible,
        reason: e.reason,
        priority: effectivePriority(node),
        preferIndex: idx === -1 ? Number.MAX_SAFE_INTEGER : idx,
        batch: batchNames ? batchNames.includes(node.name) : hasGpu(node),
      };
    })
    .sort(compare);

  const pin = input.pins.find((p) => p.kind === kind && inForce(p, input.nowMs));
  if (pin?.untilMs) changes.push(pin.untilMs);
  const prev = input.previous?.kinds[kind] ?? null;
  let winner: Ranked | null = null;
  let why = '';
  const pinned = pin ? ranked.find((r) => r.node.nodeId === pin.nodeId) : undefined;
  // A pin overrides windows and ranking, but cannot make a down node or a missing service serve.
  if (pinned && pinned.node.state === 'up' && serviceUp(pinned.node, kind)) {
    winner = pinned;
    why = `pinned manually${pin?.untilMs ? ` until ${formatLocalTime(pin.untilMs, input.displayZone)}` : ''}`;
    pinned.eligible = true;
    pinned.reason = why;
  } else {
    winner = pick(ranked, prev?.elected ?? null);
    why = winner ? winner.reason : 'no eligible node';
  }
  const batchWinner = kind === 'immich-ml' ? pick(ranked.filter((r) => r.batch), prev?.batchElected ?? null) : null;
  return {
    placement: {
      elected: winner?.node.nodeId ?? null,
      reason: why,
      candidates: ranked.map((r) => ({ nodeId: r.node.nodeId, name: r.node.name, eligible: r.eligible, reason: r.reason, priority: r.priority, batch: r.batch })),
      batchElected: batchWinner?.node.nodeId ?? null,
    },
    changesAtMs: changes,
  };
}

export function elect(input: ElectionInput): Placement {
  const kinds = {} as Placement['kinds'];
  const changes: number[] = [];
  for (const kind of SERVICE_KINDS) {
    const r = electKind(kind, input);
    kinds[kind] = r.placement;
    changes.push(...r.changesAtMs);
  }
  const future = changes.filter((t) => t > input.nowMs);
  return { atMs: input.nowMs, kinds, nextChangeAtMs: future.length ? Math.min(...future) : null };
}

function serviceUp(node: NodeRecord, kind: ServiceKind): boolean {
  const s = kind === 'ollama' ? node.advert?.services.ollama : node.advert?.services.immichMl;
  return s?.state === 'up';
}
