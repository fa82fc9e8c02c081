import { describe, expect, it } from 'vitest';
import { dueChecks, perPeerIntervalMs, pingTimeoutMs, updateRtt } from '../../../discovery/check-schedule.js';

const O = { intervalMs: 1000, maxChecksPerSec: 4 };
const none = new Set<string>();

describe('health-check schedule (issue 17)', () => {
  it.each([
    [1, 1000],
    [4, 1000],
    [9, 2250],
    [19, 4750],
    [50, 10_000],
  ])('%i peers: each checked every %i ms (at most 4 checks/s, at least every 10 s)', (peers, every) => {
    expect(perPeerIntervalMs(peers, O)).toBe(every);
  });

  it('checks up peers unheard for an interval, down or suspect ones every round, never one in flight', () => {
    const now = 100_000;
    const nodes = [
      { nodeId: 'heard', up: true, lastSeenMs: now - 200 },
      { nodeId: 'quiet', up: true, lastSeenMs: now - 1200 },
      { nodeId: 'down', up: false, lastSeenMs: now - 100 },
      { nodeId: 'never', up: true, lastSeenMs: null },
      { nodeId: 'busy', up: false, lastSeenMs: 0 },
    ];
    expect(dueChecks(nodes, now, { ...O, inFlight: new Set(['busy']), serving: none }).sort()).toEqual(['down', 'never', 'quiet']);
  });

  it('caps the checks of a round and puts the serving nodes first, then the longest unheard', () => {
    const now = 1_000_000;
    const nodes = Array.from({ length: 30 }, (_, i) => ({ nodeId: `n${i}`, up: true, lastSeenMs: now - 10_000 + i }));
    const due = dueChecks(nodes, now, { ...O, inFlight: none, serving: new Set(['n29']) });
    expect(due).toHaveLength(4);
    expect(due[0]).toBe('n29');
    expect(due.slice(1)).toEqual(['n0', 'n1', 'n2']);
  });

  it('a suspect peer (heard from just before it failed) goes before up peers that are merely due: a crash is settled within a round', () => {
    const now = 1_000_000;
    const nodes = [...Array.from({ length: 19 }, (_, i) => ({ nodeId: `n${i}`, up: true, lastSeenMs: now - 10_000 + i })), { nodeId: 'crashed', up: false, lastSeenMs: now - 300 }];
    expect(dueChecks(nodes, now, { intervalMs: 1000, maxChecksPerSec: 1, inFlight: none, serving: none })).toEqual(['crashed']);
    expect(dueChecks(nodes, now, { intervalMs: 1000, maxChecksPerSec: 1, inFlight: none, serving: new Set(['n3']) })).toEqual(['n3']);
  });

  it('a serving node is checked every interval even in a large mesh; the others at the slower pace', () => {
    const now = 1_000_000;
    const nodes = Array.from({ length: 19 }, (_, i) => ({ nodeId: `n${i}`, up: true, lastSeenMs: now - 1500 }));
    expect(dueChecks(nodes, now, { ...O, inFlight: none, serving: new Set(['n7']) })).toEqual(['n7']);
  });

  it('the ping timeout follows the round-trip time (RFC 6298), within [min, 2·min]', () => {
    expect(pingTimeoutMs(undefined, 1000)).toBe(1000);
    let rtt = updateRtt(undefined, 2);
    for (let i = 0; i < 20; i++) rtt = updateRtt(rtt, 2);
    expect(pingTimeoutMs(rtt, 1000)).toBe(1000); // fast peer: the configured floor
    for (let i = 0; i < 5; i++) rtt = updateRtt(rtt, 600);
    const slow = pingTimeoutMs(rtt, 1000);
    expect(slow).toBeGreaterThan(1000); // a busy peer gets more time
    expect(slow).toBeLessThanOrEqual(2000); // but a silent one is still noticed
    expect(updateRtt({ srttMs: 100, rttvarMs: 20 }, 180)).toEqual({ srttMs: 110, rttvarMs: 35 });
  });
});
