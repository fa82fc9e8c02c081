import { describe, expect, it } from 'vitest';
import { createCandidateVerifier } from '../../../discovery/candidates.js';
import type { PeerClient } from '../../../discovery/peer-client.js';
import { createPeerRegistry } from '../../../discovery/registry.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const SELF = 'a'.repeat(32);
const PEER = 'b'.repeat(32);

/** A peer client whose advert fetches answer when the test says so. */
function slowClient(): { client: PeerClient; fetched: string[]; answerAll: () => void } {
  const fetched: string[] = [];
  const waiting: (() => void)[] = [];
  const client = {
    fetchAdvert: (url: string) => {
      fetched.push(url);
      return new Promise((resolve) => waiting.push(() => resolve({ seq: 1, advert: sampleAdvert({ nodeId: PEER, name: 'peer' }), responderId: PEER, addr: new URL(url).host })));
    },
  } as unknown as PeerClient;
  return { client, fetched, answerAll: () => waiting.splice(0).forEach((answer) => answer()) };
}

describe('candidate verification (issue 17)', () => {
  it('hearsay about a node already being verified waits for that answer instead of asking again', async () => {
    const { log } = captureLog();
    const registry = createPeerRegistry({ selfId: SELF, downAfterMs: 3000, log });
    const { client, fetched, answerAll } = slowClient();
    const verifier = createCandidateVerifier({ client, registry, clock: new FakeClock(), log, selfId: SELF });
    const fromMdns = verifier.verify({ urls: ['http://10.0.0.2:7650'], source: 'mdns', expectedNodeId: PEER });
    const fromHearsay = verifier.verify({ urls: ['http://10.0.0.2:7650'], source: 'peer', expectedNodeId: PEER });
    expect(fetched).toEqual(['http://10.0.0.2:7650']);
    answerAll();
    expect(await fromMdns).toEqual({ admitted: PEER });
    expect(await fromHearsay).toEqual({ admitted: PEER });
    expect(registry.get(PEER)?.paths.map((p) => p.source)).toEqual(['mdns']);
    // Once answered, hearsay is verified again when it comes (a new address, a node gone down).
    const later = verifier.verify({ urls: ['http://10.0.0.3:7650'], source: 'peer', expectedNodeId: PEER });
    expect(fetched).toHaveLength(2);
    answerAll();
    expect(await later).toEqual({ admitted: PEER });
  });

  it('an mDNS advert is verified at its own addresses even while hearsay about the node is', async () => {
    const { log } = captureLog();
    const registry = createPeerRegistry({ selfId: SELF, downAfterMs: 3000, log });
    const { client, fetched, answerAll } = slowClient();
    const verifier = createCandidateVerifier({ client, registry, clock: new FakeClock(), log, selfId: SELF });
    const fromHearsay = verifier.verify({ urls: ['http://10.0.0.2:7650'], source: 'peer', expectedNodeId: PEER });
    const fromMdns = verifier.verify({ urls: ['http://10.0.0.2:7650'], source: 'mdns', expectedNodeId: PEER });
    expect(fetched).toHaveLength(2);
    answerAll();
    await Promise.all([fromHearsay, fromMdns]);
    expect(registry.get(PEER)?.paths.map((p) => p.source)).toEqual(['mdns']);
  });
});
