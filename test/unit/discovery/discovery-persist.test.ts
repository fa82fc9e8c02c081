/**
 * When discovery writes the peer list (discovery.ts schedulePersist, issue 17): once it has been
 * still for a few seconds, at most 15 s after the first unsaved change, not each second while a mesh
 * forms; and what is pending is written on stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery } from '../../../discovery/discovery.js';
import { createPeerRegistry } from '../../../discovery/registry.js';
import type { NodeRecord } from '../../../discovery/types.js';
import { captureLog } from '../../helpers/capture-log.js';
import { quietDiscoveryOptions } from '../../helpers/discovery-options.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const SELF = 'a'.repeat(32);
const running: Discovery[] = [];
afterEach(async () => {
  while (running.length) await running.pop()?.stop();
});

async function setup() {
  const clock = new FakeClock();
  const { log } = captureLog();
  const registry = createPeerRegistry({ selfId: SELF, downAfterMs: 10_000, log });
  const writes: NodeRecord[][] = [];
  const discovery = createDiscovery(
    quietDiscoveryOptions(
      { selfId: SELF, meshFingerprint: 'f'.repeat(16), registry, clock, log },
      {
        persist: async (records) => {
          writes.push(records);
        },
      },
    ),
  );
  await discovery.start(new AbortController().signal);
  running.push(discovery);
  /** A new member, as verification adds one. */
  const join = (i: number): void => {
    const nodeId = i.toString(16).padStart(32, 'b');
    registry.upsertMember({ advert: sampleAdvert({ nodeId, name: `n${i}` }), seq: 1, source: 'static', url: `http://10.0.0.${i}:7650`, nowMs: clock.nowMs() });
  };
  return { clock, writes, join, discovery };
}

describe('writing the peer list', () => {
  it('a forming mesh (a member every 500 ms) is written once it settles, not once a second', async () => {
    const t = await setup();
    for (let i = 1; i <= 10; i++) {
      t.join(i);
      await t.clock.advance(500);
    }
    expect(t.writes).toHaveLength(0);
    await t.clock.advance(3000);
    expect(t.writes).toHaveLength(1);
    expect(t.writes[0]?.map((n) => n.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `n${i + 1}`).sort());
  });

  it('changes that never settle are still written within 15 s of the first', async () => {
    const t = await setup();
    for (let i = 1; i <= 40; i++) {
      t.join(i);
      await t.clock.advance(1000);
    }
    // 40 s of a change each second: written at 15 s and 30 s.
    expect(t.writes.map((w) => w.length)).toEqual([15, 30]);
  });

  it('what is pending is written on stop', async () => {
    const t = await setup();
    t.join(1);
    await t.clock.advance(100);
    expect(t.writes).toHaveLength(0);
    await t.discovery.stop();
    expect(t.writes.map((w) => w.length)).toEqual([1]);
  });
});
