import { describe, expect, it } from 'vitest';
import { createPeerChecker } from '../../../discovery/peer-checker.js';
import type { PeerCallOptions, PeerClient } from '../../../discovery/peer-client.js';
import { createPeerRegistry } from '../../../discovery/registry.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const SELF = 'a'.repeat(32);
const PEER = 'b'.repeat(32);

function setup(): { checker: ReturnType<typeof createPeerChecker>; timeouts: (number | undefined)[]; url: string } {
  const { log } = captureLog();
  const clock = new FakeClock();
  const registry = createPeerRegistry({ selfId: SELF, downAfterMs: 3000, log });
  const url = 'http://10.0.0.2:7650';
  registry.upsertMember({ advert: sampleAdvert({ nodeId: PEER, name: 'peer' }), seq: 1, source: 'mdns', url, nowMs: clock.nowMs() });
  const timeouts: (number | undefined)[] = [];
  const client = {
    ping: async (_url: string, o?: PeerCallOptions) => {
      timeouts.push(o?.timeoutMs);
      return { nodeId: PEER, responderId: PEER, seq: 1, leaving: false, addr: '10.0.0.2:7650' };
    },
  } as unknown as PeerClient;
  const checker = createPeerChecker({ registry, client, clock, log, intervalMs: 1000, timeoutMs: 1000 });
  return { checker, timeouts, url };
}

describe('peer checks (issue 17)', () => {
  it("a first contact's slow round trip makes the first ping wait longer than the floor", async () => {
    const slow = setup();
    await slow.checker.start(new AbortController().signal);
    slow.checker.sawRoundTrip(slow.url, 1800);
    await slow.checker.checkNow(PEER);
    await slow.checker.stop();

    const fast = setup();
    await fast.checker.start(new AbortController().signal);
    fast.checker.sawRoundTrip(fast.url, 20);
    await fast.checker.checkNow(PEER);
    await fast.checker.stop();

    expect(slow.timeouts[0]).toBe(2000); // RTO from 1.8 s, capped at twice the floor
    expect(fast.timeouts[0]).toBe(1000);
  });

  it('checkNow during a check in flight runs one more after it (that one may predate the cause), however many ask', async () => {
    const { log } = captureLog();
    const clock = new FakeClock();
    const registry = createPeerRegistry({ selfId: SELF, downAfterMs: 3000, log });
    registry.upsertMember({ advert: sampleAdvert({ nodeId: PEER, name: 'peer' }), seq: 1, source: 'mdns', url: 'http://10.0.0.2:7650', nowMs: clock.nowMs() });
    let pings = 0;
    let release: () => void = () => undefined;
    const client = {
      ping: async () => {
        pings++;
        if (pings === 1) await new Promise<void>((r) => (release = r));
        return { nodeId: PEER, responderId: PEER, seq: 1, leaving: false, addr: '10.0.0.2:7650' };
      },
    } as unknown as PeerClient;
    const checker = createPeerChecker({ registry, client, clock, log, intervalMs: 60_000, timeoutMs: 1000 });
    await checker.start(new AbortController().signal);
    const first = checker.checkNow(PEER);
    await Promise.resolve();
    const asked = [checker.checkNow(PEER), checker.checkNow(PEER), checker.checkNow(PEER)];
    expect(pings).toBe(1);
    release();
    await Promise.all([first, ...asked]);
    expect(pings).toBe(2);
    await checker.stop();
  });
});
