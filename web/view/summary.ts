/**
 * "Ollama → gaming-pc (RTX 4080) — window open until 07:00": who serves each kind now and why, the
 * web twin of `inference-mesh status` (agent/cli/format-summary.ts). When a better-ranked node is
 * out, its reason is what people want to know, so it replaces the winner's own reason.
 */
import { ALL_KINDS, KINDS, kindsInUse, type KindId } from '../../agent/kernel/kinds.js';
import { clockNote } from '../../discovery/clock-skew.js';
import type { NodeRecord } from '../../discovery/types.js';
import { unreachableNote, type PlacementAnswer } from '../../scheduler/routing-status.js';
import { kindLabel, plainWords, shortGpuName } from './format.js';

export interface SummaryLine {
  kind: KindId;
  text: string;
}

export function summaryLines(placement: PlacementAnswer | null, nodes: readonly NodeRecord[]): SummaryLine[] {
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  return (placement ? kindsInUse(placement) : ALL_KINDS.filter((d) => d.enabledByDefault).map((d) => d.id)).map((kind) => {
    const label = kindLabel(kind);
    if (!placement) return { kind, text: `${label} → not decided yet — the agent is still starting` };
    const k = placement.kinds[kind];
    // A node refusing us for its clock: say that rather than the election's bare reason (issue 11).
    const reason = (c: (typeof k.candidates)[number]): string => {
      const node = byId.get(c.nodeId);
      return (node && clockNote(node)) ?? plainWords(c.reason);
    };
    const idx = k.candidates.findIndex((c) => c.nodeId === k.elected);
    const elected = k.candidates[idx];
    let text: string;
    const note = unreachableNote(k.elected, placement.routing?.[kind]);
    if (note) {
      // The election and the traffic disagree: traffic is what people see (issue 10 §4).
      text = `${label} → ${note}`;
    } else if (elected === undefined) {
      const why = k.candidates.map((c) => `${c.name}: ${reason(c)}`).join('; ') || 'no computer offers it';
      text = `${label} → nowhere — ${why}`;
    } else {
      const hardware = byId.get(elected.nodeId)?.advert?.hardware;
      const gpu = hardware?.gpus[0]?.model;
      const hw = hardware ? ` (${gpu === undefined ? 'CPU' : shortGpuName(gpu)})` : '';
      const better = k.candidates.slice(0, idx).find((c) => !c.eligible);
      text = `${label} → ${elected.name}${hw} — ${better ? `${better.name}: ${reason(better)}` : plainWords(elected.reason)}`;
    }
    // Batch work that goes somewhere unusual says why (issue 12: the CPU, since nobody can pause Immich).
    if (KINDS[kind].traits.batchWork && (k.batchElected !== k.elected || k.batchReason !== null)) {
      const batch = k.candidates.find((c) => c.nodeId === k.batchElected);
      text += batch ? `; indexing → ${batch.name}${k.batchReason === null ? '' : ` (${k.batchReason})`}` : '; indexing waits until a GPU computer is offered';
    }
    return { kind, text };
  });
}
