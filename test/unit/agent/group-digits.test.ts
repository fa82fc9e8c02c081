/**
 * groupDigits writes counts as `toLocaleString('en-US')` does, without ICU (agent/kernel/group-digits.ts):
 * compared here with ICU itself over the shapes an agent logs.
 */
import { describe, expect, it } from 'vitest';
import { groupDigits } from '../../../agent/kernel/group-digits.js';

describe('groupDigits', () => {
  it.each([0, 7, 999, 1000, 20_000, 123_456, 1_234_567, 9_007_199_254_740_991, -1, -1000, -1_234_567, 1234.5, -98765.4321, 0.25])('%d as en-US writes it', (n) => {
    expect(groupDigits(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 20 }));
  });

  it('leaves what is no plain number as String() writes it', () => {
    expect(groupDigits(NaN)).toBe('NaN');
    expect(groupDigits(Infinity)).toBe('Infinity');
    expect(groupDigits(1e21)).toBe('1e+21');
  });
});
