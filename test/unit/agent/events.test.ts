/** The typed emitter (agent/kernel/events.ts): unsubscribe, isolated listeners, lazy payloads. */
import { describe, expect, it } from 'vitest';
import { createEmitter } from '../../../agent/kernel/events.js';

type Events = { change: { n: number }; other: string };

describe('createEmitter', () => {
  it('delivers to each listener until it unsubscribes, and isolates one that throws', () => {
    const errors: unknown[] = [];
    const e = createEmitter<Events>((err) => errors.push(err));
    const seen: number[] = [];
    e.on('change', () => {
      throw new Error('listener bug');
    });
    const off = e.on('change', ({ n }) => seen.push(n));
    e.emit('change', { n: 1 });
    off();
    e.emit('change', { n: 2 });
    expect(seen).toEqual([1]);
    expect(errors.map(String)).toEqual(['Error: listener bug', 'Error: listener bug']);
    expect(e.listenerCount()).toBe(1);
  });

  it('emitWith builds the payload only while the event has a listener', () => {
    const e = createEmitter<Events>(() => undefined);
    let built = 0;
    const make = (): { n: number } => ({ n: ++built });
    e.emitWith('change', make);
    const offOther = e.on('other', () => undefined); // a listener of another event does not count
    e.emitWith('change', make);
    expect(built).toBe(0);
    const seen: number[] = [];
    const off = e.on('change', ({ n }) => seen.push(n));
    e.emitWith('change', make);
    e.emitWith('change', make);
    off();
    e.emitWith('change', make);
    offOther();
    expect(built).toBe(2);
    expect(seen).toEqual([1, 2]);
  });
});
