/**
 * What the timeline draws for one node (pure, from `nowMs`): the past 24 hours of who actually
 * served (placement entries of the history), and the next 24 hours of its offer (windows evaluated
 * with scheduler/windows.ts exactly as the election does, plus a manual override), with a
 * description in words for screen readers.
 */
import type { NodeRecord } from '../../discovery/types.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { KIND_IDS, KINDS, type KindId } from '../../agent/kernel/kinds.js';
import { inForce } from '../../agent/kernel/shapes/override.js';
import { wallTimeAt } from '../../agent/kernel/wall-clock.js';
import { formatLocalTime, formatWindow, windowState } from '../../scheduler/windows.js';
import { dayWord, kindLabel } from './format.js';

export const HOUR_MS = 3_600_000;
export const SPAN_MS = 24 * HOUR_MS;

export interface Span {
  startMs: number;
  endMs: number;
}

export interface NodeTimeline {
  name: string;
  nodeId: string;
  fromMs: number;
  nowMs: number;
  toMs: number;
  /** When this node was elected, per kind, in [fromMs, nowMs]. */
  served: Record<KindId, Span[]>;
  /** When its offer windows are open, in [nowMs, toMs]. */
  offered: Span[];
  /** "windows mon–fri 22:00–07:00, sat, sun 00:00–24:00 in Europe/London" or "always offered". */
  offerNote: string;
  /** A manual override in force now: drawn from now; `untilMs` null = until someone changes it. */
  override: { mode: 'offer' | 'out'; span: Span; untilMs: number | null } | null;
}

/** Pushes [start, end) onto `spans`, merging with the last span when they touch. */
function add(spans: Span[], startMs: number, endMs: number): void {
  if (endMs <= startMs) return;
  const last = spans[spans.length - 1];
  if (last && last.endMs >= startMs) last.endMs = Math.max(last.endMs, endMs);
  else spans.push({ startMs, endMs });
}

/**
 * When `nodeId` was elected for `kind` within [fromMs, toMs]. Each placement entry holds until the
 * next one of its kind, so the entry just before `fromMs` says who served at the start.
 */
export function servedSpans(history: readonly HistoryEntry[], kind: KindId, nodeId: string, fromMs: number, toMs: number): Span[] {
  const entries = history.filter((e) => e.type === 'placement' && e.kind === kind).sort((a, b) => a.atMs - b.atMs);
  const spans: Span[] = [];
  entries.forEach((e, i) => {
    if (e.nodeId !== nodeId) return;
    const endMs = entries[i + 1]?.atMs ?? toMs;
    add(spans, Math.max(e.atMs, fromMs), Math.min(endMs, toMs));
  });
  return spans;
}

/** Open stretches of the node's windows in [fromMs, toMs]; no offer or no windows = always. */
export function offeredSpans(node: NodeRecord, fromMs: number, toMs: number, displayZone: string): Span[] {
  const offer = node.advert?.offer ?? null;
  const windows = offer?.windows ?? [];
  if (windows.length === 0) return [{ startMs: fromMs, endMs: toMs }];
  // The zone the election evaluates this node's windows in (scheduler/eligibility.ts).
  const zone = offer?.timeZone ?? displayZone;
  const spans: Span[] = [];
  let t = fromMs;
  // Each step jumps to the next boundary; a day has a handful, the cap only guards a bug.
  for (let step = 0; step < 500 && t < toMs; step++) {
    const state = windowState(windows, zone, t);
    const end = state.changesAtMs === null ? toMs : Math.min(state.changesAtMs, toMs);
    if (state.open) add(spans, t, end);
    if (end <= t) break;
    t = end;
  }
  return spans;
}

export function buildTimeline(node: NodeRecord, history: readonly HistoryEntry[], nowMs: number, displayZone: string): NodeTimeline {
  const fromMs = nowMs - SPAN_MS;
  const toMs = nowMs + SPAN_MS;
  const served = {} as Record<KindId, Span[]>;
  for (const kind of KIND_IDS) served[kind] = servedSpans(history, kind, node.nodeId, fromMs, nowMs);
  const offer = node.advert?.offer ?? null;
  const windows = offer?.windows ?? [];
  const offerNote =
    windows.length === 0 ? 'always offered' : `windows ${windows.map((w) => formatWindow(w)).join(', ')} in ${offer?.timeZone ?? displayZone}`;
  const o = node.advert?.offerOverride ?? null;
  const override =
    o && inForce(o, nowMs)
      ? { mode: o.mode, span: { startMs: nowMs, endMs: o.untilMs === null ? toMs : Math.min(o.untilMs, toMs) }, untilMs: o.untilMs }
      : null;
  return { name: node.name, nodeId: node.nodeId, fromMs, nowMs, toMs, served, offered: offeredSpans(node, nowMs, toMs, displayZone), offerNote, override };
}

function at(ms: number, nowMs: number, zone: string): string {
  return `${formatLocalTime(ms, zone)} ${dayWord(ms, nowMs, zone)}`.trim();
}

/** "from 22:00 yesterday to 07:00 today", with "before"/"until now"/"at least" where a span is cut by the view. */
function spansText(spans: readonly Span[], t: NodeTimeline, zone: string, whole: string): string {
  return spans
    .map((s) => {
      if (s.startMs <= t.fromMs && s.endMs >= t.nowMs) return whole;
      if (s.startMs <= t.nowMs && s.endMs >= t.toMs) return whole;
      const start = s.startMs === t.nowMs ? 'from now' : s.startMs <= t.fromMs ? `from before ${at(t.fromMs, t.nowMs, zone)}` : `from ${at(s.startMs, t.nowMs, zone)}`;
      const end = s.endMs === t.nowMs ? 'until now' : s.endMs >= t.toMs ? `until at least ${at(t.toMs, t.nowMs, zone)}` : `to ${at(s.endMs, t.nowMs, zone)}`;
      return `${start} ${end}`;
    })
    .join(', and ');
}

/** The kinds a node's timeline shows: those on by default, and any other it served in the window. */
export function shownKinds(t: NodeTimeline): KindId[] {
  return KIND_IDS.filter((k) => KINDS[k].enabledByDefault || t.served[k].length > 0);
}

/** The timeline in words: the SVG's aria-label. */
export function describeTimeline(t: NodeTimeline, zone: string): string {
  const past = shownKinds(t).map((kind) => {
    const spans = t.served[kind];
    return spans.length === 0 ? `did not serve ${kindLabel(kind)}` : `served ${kindLabel(kind)} ${spansText(spans, t, zone, 'the whole time')}`;
  }).join('; ');
  const next =
    t.offered.length === 0 ? 'not offered at any time' : `offered ${spansText(t.offered, t, zone, 'the whole time')}`;
  const manual = t.override
    ? `; manual override: ${t.override.mode === 'out' ? 'taken out' : 'offered'} ${t.override.untilMs === null ? 'until changed' : `until ${at(t.override.untilMs, t.nowMs, zone)}`}`
    : '';
  return `${t.name}. Past 24 hours: ${past}. Next 24 hours (${t.offerNote}): ${next}${manual}. Now is ${formatLocalTime(t.nowMs, zone)}.`;
}

/** A bar's tooltip: "22:00 today – 07:00 tomorrow". */
export function spanTitle(s: Span, t: NodeTimeline, zone: string): string {
  return `${at(s.startMs, t.nowMs, zone)} – ${at(s.endMs, t.nowMs, zone)}`;
}

const TICK_STEP_MS = 15 * 60_000;
const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * Axis ticks at local 00:00, 06:00, 12:00 and 18:00 in (fromMs, toMs), midnight labelled with the
 * new day's name. Found by stepping in quarter hours, so zones with :30 and :45 offsets work and a
 * DST day simply has its ticks where the clocks show those times.
 */
export function localTicks(fromMs: number, toMs: number, zone: string): { ms: number; label: string }[] {
  const out: { ms: number; label: string }[] = [];
  for (let ms = Math.ceil(fromMs / TICK_STEP_MS) * TICK_STEP_MS; ms < toMs; ms += TICK_STEP_MS) {
    if (ms <= fromMs) continue;
    const wall = new Date(wallTimeAt(ms, zone));
    if (wall.getUTCMinutes() !== 0 || wall.getUTCHours() % 6 !== 0) continue;
    const label = wall.getUTCHours() === 0 ? (WEEKDAY_NAMES[(wall.getUTCDay() + 6) % 7] ?? '') : formatLocalTime(ms, zone);
    out.push({ ms, label });
  }
  return out;
}
