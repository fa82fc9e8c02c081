/**
 * How fast each node really is, per model (issue 15): a short moving window of samples per
 * (node, model), the compact figures a node advertises, and the comparator placement uses to break
 * ties between equally preferred nodes without flapping. Pure: time enters as `nowMs`.
 *
 * How it is wired (api/proxy/speed-meter.ts, agent/speed-book.ts): the serving node's agent taps its own service's answers in the
 * relay and direct paths (api/proxy/speed-tap.ts for Ollama, api/proxy/predict-tap.ts for Immich
 * ML), records each sample here under its own node id, and advertises `advertisedSpeedOf(...)` with
 * its offer, so every agent elects from the same figures (DESIGN.md §4). `inference-mesh bench`
 * records its answers with source 'bench'. Placement calls `fasterOf` only among eligible nodes of
 * equal `prefer` position and priority; with no figures today's order holds.
 */import {
  DEFAULT_MARGIN_PCT,
  MAX_ADVERTISED_MODELS,
  MAX_ADVERTISED_TASKS,
  MAX_SUBJECT,
  MAX_WINDOWS,
  WINDOW_MAX_AGE_MS,
  WINDOW_MAX_SAMPLES,
  type AdvertisedSpeed,
  type SpeedFigure,
  type SpeedSample,
} from '../agent/kernel/shapes/speed.js';


/** Windows keyed by `windowKey(node, subject)`; treated as immutable. */
export type SpeedWindows = ReadonlyMap<string, readonly SpeedSample[]>;

/** A subject is an Ollama model name or an Immich ML task (`tasks` namespace in the advert). */
export interface SpeedSubject {
  node: string;
  kind: 'model' | 'task';
  name: string;
}

const SEP = '\u0000';
const windowKey = (s: SpeedSubject): string => `${s.node}${SEP}${s.kind}${SEP}${s.name}`;
function subjectOf(key: string): SpeedSubject | null {
  const [node, kind, name] = key.split(SEP);
  if (node === undefined || name === undefined || (kind !== 'model' && kind !== 'task')) return null;
  return { node, kind, name };
}

/** Samples still inside the window at `nowMs` (see WINDOW_MAX_SAMPLES), oldest first. */
export function trimWindow(samples: readonly SpeedSample[], nowMs: number): SpeedSample[] {
  const ordered = [...samples].sort((a, b) => a.atMs - b.atMs);
  const fresh = ordered.filter((s) => nowMs - s.atMs <= WINDOW_MAX_AGE_MS).slice(-WINDOW_MAX_SAMPLES);
  const newest = ordered.at(-1);
  return fresh.length > 0 || newest === undefined ? fresh : [newest];
}

/**
 * Adds one sample; returns new windows (the input is not changed). Samples with no metric at all
 * are ignored. When more than MAX_WINDOWS exist, the window with the oldest newest sample goes.
 *
 * @example
 *   let w: SpeedWindows = new Map();
 *   w = recordSample(w, { node: 'pc', kind: 'model', name: 'llama3.2:3b' }, sample, nowMs);
 */
export function recordSample(windows: SpeedWindows, subject: SpeedSubject, sample: SpeedSample, nowMs: number): SpeedWindows {
  const { genTokPerSec, promptTokPerSec, ttftMs, loadMs, latencyMs } = sample;
  if ([genTokPerSec, promptTokPerSec, ttftMs, loadMs, latencyMs].every((v) => v === null || !Number.isFinite(v))) return windows;
  if (subject.name === '' || subject.name.length > MAX_SUBJECT) return windows;
  const next = new Map(windows);
  const key = windowKey(subject);
  next.set(key, trimWindow([...(windows.get(key) ?? []), sample], nowMs));
  while (next.size > MAX_WINDOWS) {
    let stalest: string | undefined;
    let stalestMs = Infinity;
    for (const [k, samples] of next) {
      const newestMs = samples.at(-1)?.atMs ?? -Infinity;
      if (newestMs < stalestMs) [stalest, stalestMs] = [k, newestMs];
    }
    if (stalest === undefined) break;
    next.delete(stalest);
  }
  return next;
}

/** Median of the finite values, or null; the median because one cold load must not move the figure. */
function median(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

const round1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
const roundInt = (v: number | null): number | null => (v === null ? null : Math.round(v));

/**
 * The figure of one window at `nowMs`: medians, rounded so the advert stays short and does not
 * change with every sample's last digit. `source` is the newest sample's.
 */
export function speedFigure(samples: readonly SpeedSample[], nowMs: number): SpeedFigure | null {
  const window = trimWindow(samples, nowMs);
  const newest = window.at(-1);
  if (newest === undefined) return null;
  const latency = roundInt(median(window.map((s) => s.latencyMs)));
  return {
    genTokPerSec: round1(median(window.map((s) => s.genTokPerSec))),
    promptTokPerSec: round1(median(window.map((s) => s.promptTokPerSec))),
    ttftMs: roundInt(median(window.map((s) => s.ttftMs))),
    loadMs: roundInt(median(window.map((s) => s.loadMs))),
    ...(latency === null ? {} : { latencyMs: latency }),
    n: window.length,
    atMs: Math.round(newest.atMs),
    source: newest.source,
  };
}

/** Age of a figure on the measuring node's clock (never negative). */
export const figureAgeMs = (figure: SpeedFigure, nowMs: number): number => Math.max(0, nowMs - figure.atMs);

/** The figures `node` advertises about itself: the most recently measured subjects, capped. */
export function advertisedSpeedOf(windows: SpeedWindows, node: string, nowMs: number): AdvertisedSpeed {
  const found: { subject: SpeedSubject; figure: SpeedFigure }[] = [];
  for (const [key, samples] of windows) {
    const subject = subjectOf(key);
    if (subject === null || subject.node !== node) continue;
    const figure = speedFigure(samples, nowMs);
    if (figure !== null) found.push({ subject, figure });
  }
  // Newest first, then by name so equal times give the same advert on every run.
  found.sort((a, b) => b.figure.atMs - a.figure.atMs || (a.subject.name < b.subject.name ? -1 : a.subject.name > b.subject.name ? 1 : 0));
  const pick = (kind: SpeedSubject['kind'], max: number): Record<string, SpeedFigure> =>
    Object.fromEntries(found.filter((f) => f.subject.kind === kind).slice(0, max).map((f) => [f.subject.name, f.figure]));
  return { models: pick('model', MAX_ADVERTISED_MODELS), tasks: pick('task', MAX_ADVERTISED_TASKS) };
}

/** Higher is better for rates, lower for latencies; null when the two cannot be compared. */
function comparable(a: SpeedFigure, b: SpeedFigure): { a: number; b: number; higherIsBetter: boolean } | null {
  if (a.genTokPerSec !== null && b.genTokPerSec !== null) return { a: a.genTokPerSec, b: b.genTokPerSec, higherIsBetter: true };
  if (a.promptTokPerSec !== null && b.promptTokPerSec !== null) return { a: a.promptTokPerSec, b: b.promptTokPerSec, higherIsBetter: true };
  if (a.latencyMs !== undefined && a.latencyMs !== null && b.latencyMs !== undefined && b.latencyMs !== null) {
    return { a: a.latencyMs, b: b.latencyMs, higherIsBetter: false };
  }
  return null;
}

/**
 * Which of two nodes' figures for the same model wins, with hysteresis: the incumbent (the node
 * placed first now) keeps winning unless the challenger is faster by more than `marginPct` — so
 * figures that wobble by a few percent never flip the winner back and forth (DESIGN.md §4, like the
 * elector's "keep a winner unless clearly beaten"). Compares generation tokens/s, else prompt
 * tokens/s (embedding models), else latency (Immich ML). A side without a comparable figure
 * never displaces and is never displaced: an unmeasured node is not known to be slower, and
 * with no figures today's order must hold (issue 15).
 *
 * @example
 *   fasterOf(hub, pc, 15) // pc when pc.genTokPerSec > hub.genTokPerSec * 1.15, else hub
 */
export function fasterOf<T extends SpeedFigure | null>(incumbent: T, challenger: T, marginPct: number = DEFAULT_MARGIN_PCT): T {
  if (incumbent === null || challenger === null) return incumbent;
  const c = comparable(incumbent, challenger);
  if (c === null) return incumbent;
  // In percent, not as a factor: 100 * 1.15 is 114.99999999999999 in floating point.
  const withMargin = 100 + Math.max(0, marginPct);
  const challengerWins = c.higherIsBetter ? c.b * 100 > c.a * withMargin : c.b * withMargin < c.a * 100;
  return challengerWins ? challenger : incumbent;
}
