import { describe, expect, it } from 'vitest';
import { summarizeProfile, type Profile } from '../../bench/cpu-profile.js';
import { percentile } from '../../bench/proxy-table-client.js';
import { cellText, ratio } from '../../bench/proxy-table.js';

describe('bench:proxy table figures', () => {
  it('percentile is nearest-rank, NaN for no values', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('a cell is the median over the rounds with min–max; no rounds is a dash', () => {
    expect(cellText([3, 1, 2], (v) => v.toFixed(1))).toBe('2.0 (1.0–3.0)');
    expect(cellText([], String)).toBe('—');
    expect(cellText(undefined, String)).toBe('—');
  });

  it('ratios pair the same round of both targets and drop rounds one of them lacks', () => {
    expect(ratio([100, 300, 50], [200, 300])).toEqual([0.5, 1]);
    expect(ratio([1, 2], [0, 4])).toEqual([0.5]); // ÷ 0 is no figure
    expect(ratio(undefined, [1])).toEqual([]);
  });
});

describe('cpu profile summary', () => {
  const frame = (id: number, functionName: string, url: string, lineNumber = 0) => ({ id, callFrame: { functionName, url, lineNumber } });
  const profile: Profile = {
    nodes: [
      frame(1, '(idle)', ''),
      frame(2, 'writev', ''),
      frame(3, 'emit', 'node:events', 469),
      frame(4, 'parse', 'file:///x/node_modules/zod/v4/core/parse.js'),
      frame(5, 'handle', 'file:///work/wt/dist/api/proxy/ollama-handler.js', 68),
      frame(6, '', 'file:///work/wt/dist/api/proxy/forward.js', 104),
    ],
    samples: [1, 2, 2, 3, 4, 5, 6, 1, 99],
    timeDeltas: [1000, 500, 500, 200, 100, 300, 50, 4000, 10],
  };

  it('charges each sample its time delta, leaves idle out of busy, and names our functions by file and 1-based line', () => {
    const s = summarizeProfile(profile);
    expect(s.idleUs).toBe(5000);
    expect(s.busyUs).toBe(1650); // the unknown node 99 counts nowhere
    expect(Object.fromEntries(s.byKind)).toEqual({ 'native: writev': 1000, "node's internals (JS)": 200, 'npm: zod': 100, 'our code': 350 });
    expect(Object.fromEntries(s.ours)).toEqual({ 'dist/api/proxy/ollama-handler.js handle:69': 300, 'dist/api/proxy/forward.js (anonymous):105': 50 });
  });
});
