import { describe, expect, it } from 'vitest';
import { compareIds, compareNames } from '../../../agent/kernel/compare-text.js';

const byLocale = (a: string, b: string): number => Math.sign(new Intl.Collator('en').compare(a, b));

describe('compareNames', () => {
  it('orders plain names exactly as English collation does, without asking it', () => {
    const names = ['eth0', 'lo', 'wlan0', 'enp3s0', 'docker0', 'br-1a2b', 'veth12ab', 'tailscale0', 'wg0', 'a.b', 'a-b', 'a0', 'ab', '', 'eth10', 'eth1', 'lo.1', 'z9'];
    for (const a of names) for (const b of names) expect(Math.sign(compareNames(a, b)), `${a} vs ${b}`).toBe(byLocale(a, b));
  });

  it('falls back to localeCompare for anything else (case, spaces, other punctuation, non-ASCII)', () => {
    const names = ['Ethernet', 'vEthernet (WSL)', 'Wi-Fi', 'eth_0', 'Küche', 'kueche', 'gaming-pc', 'Gaming PC'];
    const sorted = [...names].sort(compareNames);
    expect(sorted).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    // Code-point order would put every capital first.
    expect(sorted.indexOf('vEthernet (WSL)')).toBeLessThan(sorted.indexOf('Wi-Fi'));
  });
});

describe('compareIds', () => {
  it('orders by code point, whatever the locale', () => {
    expect(compareIds('aa00', 'ff00')).toBe(-1); // Danish collation would put "aa" last
    expect(compareIds('ff00', 'aa00')).toBe(1);
    expect(compareIds('0a', '0a')).toBe(0);
    expect(compareIds('B', 'a')).toBe(-1);
  });
});
