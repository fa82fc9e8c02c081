import { describe, expect, it } from 'vitest';
import { idleBusyState, trackBusy, type BusyState } from '../../../scheduler/busy.js';
import { offerSchema } from '../../../scheduler/offer-schema.js';

const offer = offerSchema.parse({ notWhile: { processes: ['cs2.exe', 'steam'], gpuUtilizationPct: 60, forSec: 30 }, coolDownSec: 300 });
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
    expect(s1).toMatchObject({ busy: 'game running: cs2.exe', busySinceMs: 0 });
    expect(s2).toMatchObject({ busy: 'game running: cs2.exe, steam', busySinceMs: 0 });
    expect(s3).toMatchObject({ busy: null, coolDownUntilMs: 320_000, lastBusy: 'game running: cs2.exe, steam' });
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
    expect(states.map((s) => s.busy)).toEqual([null, null, 'GPU busy: 80 % for over 30 s', null, null, null]);
    expect(states[3]?.coolDownUntilMs).toBe(340_000);
  });

  it('unknown GPU load (null) never counts as busy; no threshold = GPU load ignored', () => {
    expect(run([[0, act([], null)], [100, act([], null)]]).every((s) => s.busy === null)).toBe(true);
    const noThreshold = offerSchema.parse({ notWhile: { gpuUtilizationPct: null } });
    expect(trackBusy(idleBusyState, act([], 100), noThreshold, 0).busy).toBeNull();
  });

  it('a game starting during cool-down makes it busy again and clears the cool-down', () => {
    const [, , s3] = run([[0, act(['steam'])], [10, act([])], [20, act(['steam'])]]);
    expect(s3).toMatchObject({ busy: 'game running: steam', coolDownUntilMs: null, busySinceMs: 20_000 });
  });
});
