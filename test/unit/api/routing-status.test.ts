import { describe, expect, it } from 'vitest';
import { createRouting } from '../../../api/proxy/routing.js';
import { unreachableNote } from '../../../scheduler/routing-status.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const PC = '22222222222222222222222222222222';

describe('routing status (issue 10 §4)', () => {
  it('a node that failed a routed request is unreachable until suspectMs has passed; listeners hear both changes', async () => {
    const clock = new FakeClock(1_000_000);
    const routing = createRouting({ elector: () => null, registry: () => null, selfId: () => 'x', localUrl: () => null, clock, suspectMs: 15_000 });
    let changes = 0;
    routing.onChange(() => changes++);
    routing.markSuspect('ollama', PC, 'connection refused');
    expect(routing.status().ollama.unreachable).toEqual([{ nodeId: PC, name: PC.slice(0, 8), reason: 'connection refused', sinceMs: 1_000_000, untilMs: 1_015_000 }]);
    expect(routing.status()['immich-ml'].unreachable).toEqual([]);
    expect(changes).toBe(1);
    await clock.advance(10_000);
    routing.markSuspect('ollama', PC, 'connection refused'); // again: same since, later until, no new change
    expect(routing.status().ollama.unreachable[0]).toMatchObject({ sinceMs: 1_000_000, untilMs: 1_025_000 });
    expect(changes).toBe(1);
    await clock.advance(15_000);
    expect(routing.status().ollama.unreachable).toEqual([]);
    expect(changes).toBe(2);
    routing.markSuspect('ollama', PC, 'no answer within 1000 ms');
    routing.stop();
    expect(routing.status().ollama.unreachable).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it.each([
    ['the elected node is unreachable, another serves', PC, { serving: { nodeId: 'h', name: 'hub' }, unreachable: [{ nodeId: PC, name: 'gaming-pc', reason: 'connection refused', sinceMs: 0, untilMs: 1 }] }, 'elected gaming-pc, unreachable: connection refused; serving from hub'],
    ['nobody else can serve', PC, { serving: { nodeId: PC, name: 'gaming-pc' }, unreachable: [{ nodeId: PC, name: 'gaming-pc', reason: 'connection refused', sinceMs: 0, untilMs: 1 }] }, 'elected gaming-pc, unreachable: connection refused; no other node to serve from'],
    ['another node is unreachable, not the elected one', 'h', { serving: { nodeId: 'h', name: 'hub' }, unreachable: [{ nodeId: PC, name: 'gaming-pc', reason: 'x', sinceMs: 0, untilMs: 1 }] }, null],
    ['no routing known', PC, undefined, null],
  ])('unreachableNote: %s', (_what, elected, routing, expected) => {
    expect(unreachableNote(elected, routing)).toBe(expected);
  });
});
