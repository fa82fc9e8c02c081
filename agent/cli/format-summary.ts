/**
 * The one-line answer to "where does AI run right now, and why" (issue 6 §4):
 * `Ollama → gaming-pc (NVIDIA GeForce RTX 4080) — window open until 07:00`
 * `Immich ML → hub (CPU) — gaming-pc: game running: cs2.exe`
 * When a better-ranked node is out, its reason is what the user wants to know. When the elected
 * node fails routed requests, where requests really go is: `Ollama → elected gaming-pc,
 * unreachable: connection refused …; serving from hub`.
 */
import { KINDS, kindsInUse } from '../kernel/kinds.js';
import { clockNote } from '../../discovery/clock-skew.js';
import type { NodeRecord } from '../../discovery/types.js';
import { unreachableNote, type PlacementAnswer } from '../../scheduler/routing-status.js';

export function formatPlacementSummary(placement: PlacementAnswer, nodes: readonly NodeRecord[]): string[] {
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  return kindsInUse(placement).map((kind) => {
    const k = placement.kinds[kind];
    const label = KINDS[kind].label.padEnd(10);
    const idx = k.candidates.findIndex((c) => c.nodeId === k.elected);
    // A node refusing us for its clock: say that, not the election's bare "down" (issue 11).
    const reason = (c: (typeof k.candidates)[number]): string => {
      const node = byId.get(c.nodeId);
      return (node && clockNote(node)) ?? c.reason;
    };
    if (idx === -1) {
      const why = k.candidates.map((c) => `${c.name}: ${reason(c)}`).join('; ') || 'no node offers it';
      return `${label} → nowhere — ${why}`;
    }
    const elected = k.candidates[idx] as (typeof k.candidates)[number];
    // Traffic goes elsewhere while the elected node fails routed requests: say so (issue 10 §4).
    const note = unreachableNote(k.elected, placement.routing?.[kind]);
    if (note) return `${label} → ${note}`;
    const gpu = byId.get(elected.nodeId)?.advert?.hardware?.gpus[0]?.model;
    const hw = byId.get(elected.nodeId)?.advert?.hardware ? ` (${gpu ?? 'CPU'})` : '';
    const better = k.candidates.slice(0, idx).find((c) => !c.eligible);
    const why = better ? `${better.name}: ${reason(better)}` : elected.reason;
    return `${label} → ${elected.name}${hw} — ${why}`;
  });
}

/** One line per peer that refuses us for its clock, whatever the placement says (issue 11). */
export function formatClockWarnings(nodes: readonly NodeRecord[]): string[] {
  return nodes.flatMap((n) => {
    const note = clockNote(n);
    return note === null ? [] : [`${n.name}: ${note.replace('clock off by ', 'clock off by about ')} — it refuses this agent's requests; enable NTP on both machines`];
  });
}
