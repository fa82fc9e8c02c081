/**
 * A node's state in words for its card: what a person asks ("is the gaming PC asleep, or in a
 * game?") rather than the registry's up/suspect/down. The words come from the registry state, the
 * node's own busy state and the election's reasons, so the card never contradicts the summary.
 */
import { ALL_KINDS, KIND_IDS, kindsInUse } from '../../agent/kernel/kinds.js';
import { formatClockOffset } from '../../discovery/clock-skew.js';
import type { NodeRecord } from '../../discovery/types.js';
import type { Placement } from '../../scheduler/placement-view.js';
import { formatLocalTime } from '../../scheduler/windows.js';
import { kindLabel, plainWords } from './format.js';

export type NodeStatusKey = 'online' | 'asleep' | 'in-game' | 'outside-window' | 'service-down' | 'down' | 'not-answering' | 'clock-off';

export interface NodeStatus {
  key: NodeStatusKey;
  words: string;
  /** The reason behind the words ("game running: cs2.exe", "down since 14:02"), when there is one. */
  detail: string | null;
  /** "Ollama and Immich ML": what the node serves now, or null. */
  serves: string | null;
}

const WORDS: Record<NodeStatusKey, string> = {
  online: 'online',
  asleep: 'asleep',
  'in-game': 'in a game',
  'outside-window': 'outside its window',
  'service-down': 'online, not serving',
  down: 'down',
  'not-answering': 'not answering',
  'clock-off': 'clock off',
};

/** Said for a node that answers but refuses our signed requests for their time (issue 11). */
export const CLOCK_OFF_DETAIL = 'it answers, but refuses requests whose time is more than 30 s from its own; enable NTP on both machines';

/** The election's reasons for this node, ineligible ones first: they say why it is not serving. */
function reasons(node: NodeRecord, placement: Placement | null): { code: string; words: string }[] {
  if (!placement) return [];
  const out: { code: string; words: string; eligible: boolean }[] = [];
  for (const kind of kindsInUse(placement)) {
    const c = placement.kinds[kind].candidates.find((x) => x.nodeId === node.nodeId);
    if (c) out.push({ code: c.why.code === 'pin-waiting' ? c.why.params.because.code : c.why.code, words: plainWords(c.reason), eligible: c.eligible });
  }
  return [...out.filter((r) => !r.eligible), ...out.filter((r) => r.eligible)];
}

function serves(node: NodeRecord, placement: Placement | null): string | null {
  if (!placement) return null;
  const labels: string[] = [];
  for (const kind of KIND_IDS) if (placement.kinds[kind].elected === node.nodeId) labels.push(kindLabel(kind));
  // Batch work can go to a GPU node while the hub answers searches: worth saying on its card.
  for (const d of ALL_KINDS) {
    const k = placement.kinds[d.id];
    if (d.traits.batchWork && k.batchElected === node.nodeId && k.elected !== node.nodeId) labels.push(`${d.label} indexing`);
  }
  return labels.length > 0 ? labels.join(' and ') : null;
}

export function nodeStatus(node: NodeRecord, placement: Placement | null, zone: string): NodeStatus {
  const all = reasons(node, placement);
  const why = all.map((r) => r.words);
  // A reason that only repeats the words ("down — down") is left out.
  const make = (key: NodeStatusKey, detail: string | null): NodeStatus => ({ key, words: WORDS[key], detail: detail === WORDS[key] ? null : detail, serves: serves(node, placement) });
  // Never "asleep" for a node that answers: its refusal named the skew (discovery/clock-skew.ts).
  if (node.state !== 'up' && node.clockOffsetMs !== undefined) {
    return { key: 'clock-off', words: formatClockOffset(node.clockOffsetMs), detail: CLOCK_OFF_DETAIL, serves: serves(node, placement) };
  }
  if (node.state === 'down') {
    const detail = why[0] ?? (node.downSinceMs === null ? null : `down since ${formatLocalTime(node.downSinceMs, zone)}`);
    // Known MACs mean Wake-on-LAN can bring it back: to its owner it is asleep, not broken.
    return make(node.macs.length > 0 ? 'asleep' : 'down', detail);
  }
  if (node.state === 'suspect') return make('not-answering', 'missed its last health checks');
  // The busy state is checked before the service, so a game shows even while Ollama is stopped.
  const busy = node.advert?.offerState?.busy ?? null;
  const game = all.find((r) => r.code === 'game')?.words;
  if (game !== undefined || busy?.code === 'game') return make('in-game', game ?? null);
  const outside = all.find((r) => r.code === 'outside-window')?.words;
  if (outside) return make('outside-window', outside);
  // The machine answers, but a service of it does not: the dot says so, not just the row (issue 16).
  const stopped = all.find((r) => r.code === 'service-down')?.words;
  if (stopped) return make('service-down', stopped);
  // Eligible but not chosen: say who comes first, so "online" does not read as "idle by mistake" (issue 16).
  if (placement && serves(node, placement) === null) {
    const first = [...new Set(KIND_IDS.map((k) => placement.kinds[k]).filter((k) => k.candidates.some((c) => c.nodeId === node.nodeId && c.eligible)).map((k) => k.candidates.find((c) => c.nodeId === k.elected)?.name).filter((n): n is string => n !== undefined))];
    if (first.length > 0) return make('online', `standing by: ${first.join(' and ')} ${first.length === 1 ? 'comes' : 'come'} first`);
  }
  return make('online', why[0] ?? null);
}
