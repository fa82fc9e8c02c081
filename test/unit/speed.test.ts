/** scheduler/speed.ts: the moving window, the advertised figures and their schema, the hysteresis. */
import { describe, expect, it } from 'vitest';
import { advertisedSpeedOf, fasterOf, figureAgeMs, recordSample, speedFigure, trimWindow } from '../../scheduler/speed.js';
import { advertisedSpeedSchema, MAX_ADVERTISED_MODELS, MAX_WINDOWS, speedFigureSchema, WINDOW_MAX_AGE_MS, WINDOW_MAX_SAMPLES } from '../../agent/kernel/shapes/speed.js';
import type { SpeedSubject, SpeedWindows } from '../../scheduler/speed.js';
import type { SpeedFigure, SpeedSample } from '../../agent/kernel/shapes/speed.js';

const T0 = 1_800_000_000_000;
const sample = (atMs: number, genTokPerSec: number | null, extra: Partial<SpeedSample> = {}): SpeedSample => ({
  atMs,
  source: 'traffic',
  genTokPerSec,
  promptTokPerSec: null,
  ttftMs: null,
  loadMs: null,
  latencyMs: null,
  ...extra,
});
const model = (name: string, node = 'pc'): SpeedSubject => ({ node, kind: 'model', name });
const figure = (genTokPerSec: number | null, extra: Partial<SpeedFigure> = {}): SpeedFigure => ({
  genTokPerSec,
  promptTokPerSec: null,
  ttftMs: null,
  loadMs: null,
  n: 1,
  atMs: T0,
  source: 'traffic',
  ...extra,
});

function fill(subject: SpeedSubject, samples: SpeedSample[], nowMs = T0): SpeedWindows {
  let w: SpeedWindows = new Map();
  for (const s of samples) w = recordSample(w, subject, s, nowMs);
  return w;
}

describe('the moving window', () => {
  it('keeps the last 20 samples when they are all recent', () => {
    const samples = Array.from({ length: 25 }, (_, i) => sample(T0 - 25_000 + i * 1000, i));
    const kept = trimWindow(samples, T0);
    expect(kept).toHaveLength(WINDOW_MAX_SAMPLES);
    expect(kept[0]?.genTokPerSec).toBe(5);
    expect(speedFigure(samples, T0)).toMatchObject({ n: 20, genTokPerSec: 14.5 });
  });

  it('keeps only the last 10 minutes when that holds fewer samples', () => {
    const samples = [sample(T0 - WINDOW_MAX_AGE_MS - 1, 1), sample(T0 - WINDOW_MAX_AGE_MS - 1000, 1), sample(T0 - 60_000, 50), sample(T0, 60)];
    expect(trimWindow(samples, T0).map((s) => s.genTokPerSec)).toEqual([50, 60]);
    expect(speedFigure(samples, T0)).toMatchObject({ n: 2, genTokPerSec: 55 });
  });

  it('a window gone quiet keeps its newest sample as the last known figure, with its age', () => {
    const samples = [sample(T0 - 3_600_000, 40), sample(T0 - 3_000_000, 42)];
    const fig = speedFigure(samples, T0);
    expect(fig).toMatchObject({ n: 1, genTokPerSec: 42, atMs: T0 - 3_000_000 });
    expect(figureAgeMs(fig!, T0)).toBe(3_000_000);
    expect(figureAgeMs(fig!, T0 - 4_000_000)).toBe(0);
  });

  it('takes medians per metric, so one cold load or one odd answer does not move the figure', () => {
    const samples = [
      sample(T0 - 4000, 100, { loadMs: 0, ttftMs: 120 }),
      sample(T0 - 3000, 102, { loadMs: 0, ttftMs: 130 }),
      sample(T0 - 2000, 3, { loadMs: 9000, ttftMs: 9100 }),
      sample(T0 - 1000, 98, { loadMs: 0, ttftMs: 125, promptTokPerSec: 900 }),
    ];
    expect(speedFigure(samples, T0)).toEqual({
      genTokPerSec: 99,
      promptTokPerSec: 900,
      ttftMs: 128,
      loadMs: 0,
      n: 4,
      atMs: T0 - 1000,
      source: 'traffic',
    });
  });

  it('says where the newest sample came from (bench or traffic)', () => {
    expect(speedFigure([sample(T0 - 1000, 10), sample(T0, 11, { source: 'bench' })], T0)?.source).toBe('bench');
    expect(speedFigure([sample(T0, 11, { source: 'bench' }), sample(T0 + 1, 10)], T0 + 1)?.source).toBe('traffic');
  });

  it('rounds figures (0.1 tok/s, whole ms) so the advert does not change with every last digit', () => {
    const fig = speedFigure([sample(T0, 117.6666, { ttftMs: 81.4, latencyMs: 33.6 })], T0);
    expect(fig).toMatchObject({ genTokPerSec: 117.7, ttftMs: 81, latencyMs: 34 });
  });

  it('recording returns new windows and leaves the old ones alone; empty samples are ignored', () => {
    const before = fill(model('a'), [sample(T0, 10)]);
    const after = recordSample(before, model('a'), sample(T0, 20), T0);
    expect(speedFigure([...before.values()][0]!, T0)?.n).toBe(1);
    expect(speedFigure([...after.values()][0]!, T0)?.n).toBe(2);
    expect(recordSample(after, model('a'), sample(T0, null), T0)).toBe(after);
    expect(recordSample(after, model('a'), sample(T0, Number.NaN), T0)).toBe(after);
    expect(recordSample(after, model(''), sample(T0, 1), T0)).toBe(after);
    expect(recordSample(after, model('x'.repeat(256)), sample(T0, 1), T0)).toBe(after);
  });

  it('keeps at most MAX_WINDOWS windows, dropping the one measured longest ago', () => {
    let w: SpeedWindows = new Map();
    for (let i = 0; i <= MAX_WINDOWS; i += 1) w = recordSample(w, model(`m${i}`), sample(T0 + (i === 0 ? 10_000 : i), 1), T0);
    expect(w.size).toBe(MAX_WINDOWS);
    const names = Object.keys(advertisedSpeedOf(w, 'pc', T0 + 10_000).models);
    expect(names).toContain('m0'); // measured last, kept
    expect([...w.keys()].some((k) => k.endsWith('\u0000m1'))).toBe(false); // measured first, dropped
  });
});

describe('the advertised figures', () => {
  it('lists only the node’s own subjects, models and Immich tasks apart, and fits the schema', () => {
    let w = fill(model('llama3.2:3b'), [sample(T0, 120, { promptTokPerSec: 800, ttftMs: 90, loadMs: 0 })]);
    w = recordSample(w, model('llama3.2:3b', 'hub'), sample(T0, 8), T0);
    w = recordSample(w, { node: 'pc', kind: 'task', name: 'clip-visual' }, sample(T0, null, { latencyMs: 42 }), T0);
    const advert = advertisedSpeedOf(w, 'pc', T0);
    expect(advert).toEqual({
      models: { 'llama3.2:3b': { genTokPerSec: 120, promptTokPerSec: 800, ttftMs: 90, loadMs: 0, n: 1, atMs: T0, source: 'traffic' } },
      tasks: { 'clip-visual': { genTokPerSec: null, promptTokPerSec: null, ttftMs: null, loadMs: null, latencyMs: 42, n: 1, atMs: T0, source: 'traffic' } },
    });
    expect(advertisedSpeedSchema.parse(advert)).toEqual(advert);
    expect(advertisedSpeedOf(w, 'nobody', T0)).toEqual({ models: {}, tasks: {} });
  });

  it('caps the models at 16, newest first, and stays a few KiB', () => {
    let w: SpeedWindows = new Map();
    for (let i = 0; i < 30; i += 1) w = recordSample(w, model(`library/model-number-${i}:70b-instruct-q4_K_M`), sample(T0 + i, 10 + i), T0 + 30);
    const advert = advertisedSpeedOf(w, 'pc', T0 + 30);
    const names = Object.keys(advert.models);
    expect(names).toHaveLength(MAX_ADVERTISED_MODELS);
    expect(names[0]).toBe('library/model-number-29:70b-instruct-q4_K_M');
    expect(names).not.toContain('library/model-number-13:70b-instruct-q4_K_M');
    expect(JSON.stringify(advert).length).toBeLessThan(4096);
  });

  it('the schema refuses what a peer must not send: too many models, bad numbers, unknown fields', () => {
    const ok = figure(10);
    const many = Object.fromEntries(Array.from({ length: MAX_ADVERTISED_MODELS + 1 }, (_, i) => [`m${i}`, ok]));
    expect(advertisedSpeedSchema.safeParse({ models: many }).success).toBe(false);
    expect(advertisedSpeedSchema.parse({})).toEqual({ models: {}, tasks: {} });
    for (const bad of [
      { ...ok, genTokPerSec: -1 },
      { ...ok, genTokPerSec: Number.POSITIVE_INFINITY },
      { ...ok, n: 0 },
      { ...ok, n: WINDOW_MAX_SAMPLES + 1 },
      { ...ok, atMs: 1.5 },
      { ...ok, source: 'guess' },
      { ...ok, extra: 1 },
    ]) {
      expect(speedFigureSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(advertisedSpeedSchema.safeParse({ models: { ['x'.repeat(256)]: ok } }).success).toBe(false);
  });
});

describe('fasterOf: hysteresis between the incumbent and a challenger', () => {
  const cases: { name: string; incumbent: SpeedFigure | null; challenger: SpeedFigure | null; margin?: number; winner: 'incumbent' | 'challenger' }[] = [
    { name: 'clearly faster challenger wins', incumbent: figure(8), challenger: figure(120), winner: 'challenger' },
    { name: '10 % faster is within the margin', incumbent: figure(100), challenger: figure(110), winner: 'incumbent' },
    { name: 'exactly 15 % faster is not more than the margin', incumbent: figure(100), challenger: figure(115), winner: 'incumbent' },
    { name: '16 % faster wins', incumbent: figure(100), challenger: figure(116), winner: 'challenger' },
    { name: 'slower challenger loses', incumbent: figure(100), challenger: figure(50), winner: 'incumbent' },
    { name: 'margin 0: any faster challenger wins', incumbent: figure(100), challenger: figure(100.1), margin: 0, winner: 'challenger' },
    { name: 'negative margin counts as 0', incumbent: figure(100), challenger: figure(99), margin: -50, winner: 'incumbent' },
    { name: 'unmeasured challenger never displaces', incumbent: figure(8), challenger: null, winner: 'incumbent' },
    { name: 'unmeasured incumbent is not displaced (today’s order holds)', incumbent: null, challenger: figure(120), winner: 'incumbent' },
    { name: 'no comparable metric: incumbent keeps', incumbent: figure(100), challenger: figure(null, { promptTokPerSec: 900 }), winner: 'incumbent' },
    { name: 'embedding models compare prompt tokens/s', incumbent: figure(null, { promptTokPerSec: 100 }), challenger: figure(null, { promptTokPerSec: 500 }), winner: 'challenger' },
    { name: 'Immich tasks compare latency: lower wins', incumbent: figure(null, { latencyMs: 400 }), challenger: figure(null, { latencyMs: 40 }), winner: 'challenger' },
    { name: 'latency 10 % lower is within the margin', incumbent: figure(null, { latencyMs: 100 }), challenger: figure(null, { latencyMs: 90 }), winner: 'incumbent' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const won = fasterOf(c.incumbent, c.challenger, c.margin);
      expect(won).toBe(c.winner === 'incumbent' ? c.incumbent : c.challenger);
    });
  }

  it('figures wobbling by ±6 % each never flip the winner; a real change flips it once and it stays', () => {
    const a = (g: number): SpeedFigure => figure(g, { atMs: 1 });
    const b = (g: number): SpeedFigure => figure(g, { atMs: 2 });
    let winner = a(100);
    let flips = 0;
    const wobble = [0, 6, -5, 6, -6, 4, 6, -3, 5, -6];
    for (let round = 0; round < 200; round += 1) {
      const ga = 100 * (1 + wobble[round % wobble.length]! / 100);
      const gb = 100 * (1 - wobble[(round + 3) % wobble.length]! / 100);
      const incumbentIsA = winner.atMs === 1;
      const next = incumbentIsA ? fasterOf(a(ga), b(gb)) : fasterOf(b(gb), a(ga));
      if (next.atMs !== winner.atMs) flips += 1;
      winner = next;
    }
    expect(flips).toBe(0);
    // b becomes a GPU node: 120 vs 8 — one flip, then b stays even when a wobbles up.
    winner = fasterOf(a(8), b(120));
    expect(winner.atMs).toBe(2);
    for (const ga of [9, 10, 100, 103]) winner = fasterOf(winner.atMs === 2 ? b(120) : a(ga), winner.atMs === 2 ? a(ga) : b(120));
    expect(winner.atMs).toBe(2);
  });
});
