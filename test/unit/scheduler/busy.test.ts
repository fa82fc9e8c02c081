import { describe, expect, it } from 'vitest';
import { trackBusy } from '../../../scheduler/busy.js';
import { idleBusyState, type BusyState } from '../../../agent/kernel/shapes/busy-state.js';
import { offerSchema } from '../../../agent/kernel/shapes/offer.js';

const offer = offerSchema.parse({ notWhile: { processes: ['cs2.exe', 'steam'], gpuUtilizationPct: 60, forSec: 30 }, coolDownSec: 300 });
const game = (process: string) => ({ code: 'game', params: { process } });
const act = (runningProcesses: string[], gpuUtilizationPct: number | null = 0) => ({ runningProcesses, gpuUtilizationPct, checkedAtMs: 0 });

function run(steps: [number, ReturnType<typeof act>][]): BusyState[] {
  let state = idleBusyState;
  return steps.map(([t, a]) => (state = trackBusy(state, a, offer, t * 1000)));
}

describe('busy tracking (notWhile + cool-down)', () => {
  it('a watched process makes the node busy at once; after it ends, cool-down runs for coolDownSec', () => {
    const [s1, s2, s3, s4] = run([
      [0, act(['cs2.exe'])],
      [10, act(['cs2.exe', 'steam'])],
      [20, act([])],
      [320, act([])],
    ]);
    expect(s1).toMatchObject({ busy: game('cs2.exe'), busySinceMs: 0 });
    expect(s2).toMatchObject({ busy: game('cs2.exe, steam'), busySinceMs: 0 });
    expect(s3).toMatchObject({ busy: null, coolDownUntilMs: 320_000, lastBusy: game('cs2.exe, steam') });
    expect(s4).toMatchObject({ busy: null, coolDownUntilMs: null });
  });

  it('GPU load above the threshold counts only after forSec, and a dip resets the count', () => {
    const states = run([
      [0, act([], 80)],
      [29, act([], 80)],
      [30, act([], 80)],
      [40, act([], 50)],
      [50, act([], 90)],
      [79, act([], 90)],
    ]);
    expect(states.map((s) => s.busy)).toEqual([null, null, { code: 'gpu-busy', params: { pct: 80, sinceMs: 0, forSec: 30 } }, null, null, null]);
    expect(states.map((s) => s.gpuHotSinceMs)).toEqual([0, 0, 0, null, 50_000, 50_000]);
    expect(states[3]?.coolDownUntilMs).toBe(340_000);
  });

  it('unknown GPU load (null) never counts as busy; no threshold = GPU load ignored', () => {
    expect(run([[0, act([], null)], [100, act([], null)]]).every((s) => s.busy === null)).toBe(true);
    const noThreshold = offerSchema.parse({ notWhile: { gpuUtilizationPct: null } });
    expect(trackBusy(idleBusyState, act([], 100), noThreshold, 0).busy).toBeNull();
  });

  it('a steady load that crossed forSec (judged by the elector on its timer) starts a cool-down when it ends; a shorter spell does not', () => {
    let state = trackBusy(idleBusyState, act([], 95), offer, 0);
    state = trackBusy(state, act([], 10), offer, 45_000); // no facts change in between: the load was steady
    expect(state).toMatchObject({ busy: null, coolDownUntilMs: 345_000, lastBusy: { code: 'gpu-busy', params: { sinceMs: 0, forSec: 30 } } });
    const short = trackBusy(trackBusy(idleBusyState, act([], 95), offer, 0), act([], 10), offer, 20_000);
    expect(short.coolDownUntilMs).toBeNull();
  });

  it('a game starting during cool-down makes it busy again and clears the cool-down', () => {
    const [, , s3] = run([[0, act(['steam'])], [10, act([])], [20, act(['steam'])]]);
    expect(s3).toMatchObject({ busy: game('steam'), coolDownUntilMs: null, busySinceMs: 20_000 });
  });
});
