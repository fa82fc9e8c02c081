import { describe, expect, it } from 'vitest';
import { createMemberChanges } from '../../../discovery/member-changes.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function setup(): { clock: FakeClock; list: string[]; tells: () => number; changes: ReturnType<typeof createMemberChanges> } {
  const clock = new FakeClock();
  const list: string[] = [];
  let told = 0;
  const changes = createMemberChanges({ clock, members: () => list, tell: () => told++, settleMs: 1000, maxWaitMs: 5000 });
  return { clock, list, tells: () => told, changes };
}

describe('telling member-list changes (issue 17)', () => {
  it('a forming mesh tells once its list has been still for the settle time, not once per member', async () => {
    const { clock, list, tells, changes } = setup();
    for (let i = 0; i < 4; i++) {
      list.push(`n${i}@10.0.0.${i}:7650`);
      changes.changed();
      await clock.advance(600);
    }
    expect(tells()).toBe(0);
    await clock.advance(400);
    expect(tells()).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a list that keeps changing is still told after the longest wait', async () => {
    const { clock, list, tells, changes } = setup();
    for (let i = 0; i < 12; i++) {
      list.push(`n${i}@10.0.0.${i}:7650`);
      changes.changed();
      await clock.advance(500);
    }
    expect(tells()).toBe(1); // at 5 s, while members still arrive
  });

  it('a member that went and came back within the wait changes nothing: no tell', async () => {
    const { clock, list, tells, changes } = setup();
    list.push('a@10.0.0.1:7650', 'b@10.0.0.2:7650');
    changes.changed();
    await clock.advance(1000);
    expect(tells()).toBe(1);
    list.pop(); // b suspect
    changes.changed();
    await clock.advance(300);
    list.push('b@10.0.0.2:7650'); // b up again
    changes.changed();
    await clock.advance(1000);
    expect(tells()).toBe(1);
    list[1] = 'b@10.0.0.9:7650'; // b moved: a change
    changes.changed();
    await clock.advance(1000);
    expect(tells()).toBe(2);
  });

  it('stop cancels a pending tell', async () => {
    const { clock, list, tells, changes } = setup();
    list.push('a@10.0.0.1:7650');
    changes.changed();
    changes.stop();
    await clock.advance(10_000);
    expect(tells()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
