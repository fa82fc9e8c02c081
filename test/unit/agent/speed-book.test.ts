/** agent/speed-book.ts: this node's own figures, and a change told at most every few seconds. */
import { describe, expect, it } from 'vitest';
import { createSpeedBook } from '../../../agent/speed-book.js';
import type { SpeedSample } from '../../../agent/kernel/shapes/speed.js';
import { advertisedSpeedSchema } from '../../../agent/kernel/shapes/speed.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const MODEL = { kind: 'model' as const, name: 'llama3.2:3b' };
const sample = (clock: FakeClock, genTokPerSec: number | null): SpeedSample => ({
  atMs: clock.nowMs(),
  source: 'traffic',
  genTokPerSec,
  promptTokPerSec: 400,
  ttftMs: 120,
  loadMs: 0,
  latencyMs: null,
});

function setup() {
  const clock = new FakeClock();
  const book = createSpeedBook({ clock, log: captureLog().log, minIntervalMs: 5000 });
  let changes = 0;
  book.onChange(() => changes++);
  return { clock, book, changes: () => changes };
}

describe('speed book', () => {
  it('advertises nothing before anything was measured', () => {
    expect(setup().book.advertised()).toEqual({ models: {}, tasks: {} });
  });

  it('advertises the median per model and per task, in the advert\'s schema', () => {
    const { clock, book } = setup();
    for (const v of [100, 120, 8]) book.record(MODEL, sample(clock, v));
    book.record({ kind: 'task', name: 'clip-visual' }, { ...sample(clock, null), promptTokPerSec: null, ttftMs: null, loadMs: null, latencyMs: 40 });
    const ad = book.advertised();
    expect(ad.models['llama3.2:3b']).toMatchObject({ genTokPerSec: 100, promptTokPerSec: 400, n: 3, source: 'traffic' });
    expect(ad.tasks['clip-visual']).toMatchObject({ latencyMs: 40, n: 1 });
    expect(advertisedSpeedSchema.parse(ad)).toEqual(ad);
  });

  it('tells the first change at once and gathers the rest into one per interval', async () => {
    const { clock, book, changes } = setup();
    book.record(MODEL, sample(clock, 100));
    expect(changes()).toBe(1);
    for (let i = 0; i < 10; i++) book.record(MODEL, sample(clock, 100 + i));
    expect(changes()).toBe(1);
    await clock.advance(4999);
    expect(changes()).toBe(1);
    await clock.advance(1);
    expect(changes()).toBe(2);
    await clock.advance(60_000);
    expect(changes()).toBe(2); // nothing new: nothing told
    book.record(MODEL, sample(clock, 100));
    expect(changes()).toBe(3);
  });

  it('a sample that measured nothing is no change', () => {
    const { clock, book, changes } = setup();
    book.record(MODEL, { ...sample(clock, null), promptTokPerSec: null, ttftMs: null, loadMs: null });
    expect(changes()).toBe(0);
  });

  it('stop() cancels a pending change', async () => {
    const { clock, book, changes } = setup();
    book.record(MODEL, sample(clock, 100));
    book.record(MODEL, sample(clock, 101));
    expect(clock.pendingTimers()).toBe(1);
    book.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(10_000);
    expect(changes()).toBe(1);
  });
});
