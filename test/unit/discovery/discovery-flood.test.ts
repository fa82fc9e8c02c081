/**
 * discovery.ts under a flood of adverts (issue 11), with bonjour-service's real Browser on a fake
 * transport and a fake peer client: adverts of another mesh or malformed ones are logged once and
 * then summarised; an address whose verification failed is not fetched again for a while; no more
 * than a few verifications run at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery } from '../../../discovery/discovery.js';
import { meshFingerprint } from '../../../discovery/mesh-key.js';
import { PeerCallError, type PeerClient } from '../../../discovery/peer-client.js';
import { createPeerRegistry } from '../../../discovery/registry.js';
import { encodeTxt } from '../../../discovery/txt-record.js';
import { captureLog } from '../../helpers/capture-log.js';
import { quietDiscoveryOptions } from '../../helpers/discovery-options.js';
import { FakeMdns, advert, fakeBonjour } from '../../helpers/fake-bonjour.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const SELF = 'a'.repeat(32);
const FP = meshFingerprint('discovery-flood-test-mesh-key-0123456789');
const running: Discovery[] = [];
afterEach(async () => {
  while (running.length) await running.pop()?.stop();
});

const noEndpoints = async (): Promise<never> => {
  throw new Error('no endpoints here');
};

async function setup(fetchAdvert: PeerClient['fetchAdvert']) {
  const mdns = new FakeMdns();
  const clock = new FakeClock();
  const { log, lines } = captureLog();
  const fake = fakeBonjour(mdns);
  const registry = createPeerRegistry({ selfId: SELF, downAfterMs: 10_000, log });
  const discovery = createDiscovery(
    quietDiscoveryOptions(
      { selfId: SELF, meshFingerprint: FP, registry, clock, log },
      {
        mdns: { enabled: true, interfaces: ['127.0.0.1'] },
        probes: { ollama: noEndpoints, 'immich-ml': noEndpoints, whisper: noEndpoints },
        client: { ping: () => Promise.reject(new Error('unused')), fetchAdvert, settings: () => Promise.reject(new Error('unused')) },
        createBonjour: () => fake.bonjour,
      },
    ),
  );
  await discovery.start(new AbortController().signal);
  running.push(discovery);
  return { mdns, clock, lines, registry, browser: fake.browser };
}

const settle = () => new Promise((r) => setImmediate(r));
const member = (i: number) => encodeTxt({ nodeId: i.toString(16).padStart(32, 'b'), meshFingerprint: FP, seq: 1 });

describe('discovery under an mDNS flood', () => {
  it('2,000 adverts of another mesh and 2,000 malformed ones: one log line, nothing kept', async () => {
    const t = await setup(() => Promise.reject(new Error('unused')));
    const other = encodeTxt({ nodeId: 'c'.repeat(32), meshFingerprint: meshFingerprint('another-mesh-key-0123456789abcdef'), seq: 1 });
    for (let i = 0; i < 2000; i++) t.mdns.respond(advert(`other-${i}`, other), '10.0.0.13');
    for (let i = 0; i < 2000; i++) t.mdns.respond(advert(`junk-${i}`, { v: '1', junk: 'x'.repeat(2000) }), '10.0.0.14');
    expect(t.lines.filter((l) => /advert/.test(l))).toHaveLength(1);
    expect(t.browser().services).toHaveLength(0);
  });

  it('an address whose verification failed is not fetched again on every re-announcement', async () => {
    let fetches = 0;
    const t = await setup(() => {
      fetches++;
      return Promise.reject(new PeerCallError('not_member', 'refused our mesh key (HTTP 401)'));
    });
    for (let i = 0; i < 20; i++) {
      t.mdns.respond(advert('copycat', member(1)), '10.0.0.13');
      await settle();
    }
    expect(fetches).toBe(1);
    await t.clock.advance(30_000);
    t.mdns.respond(advert('copycat', member(1)), '10.0.0.13');
    await settle();
    expect(fetches).toBe(2);
  });

  it('at most 24 verifications at once, whatever arrives', async () => {
    let fetches = 0;
    const t = await setup(() => {
      fetches++;
      return new Promise(() => undefined); // a peer that never answers
    });
    for (let i = 0; i < 500; i++) t.mdns.respond(advert(`fake-${i}`, member(i), `10.0.${i >> 8}.${i & 255}`), '10.0.0.13');
    await settle();
    expect(fetches).toBe(24);
  });

  it('a member that did not answer yet (still starting, issue 17) is asked again after 1 s, not at its next TXT change', async () => {
    let fetches = 0;
    const nodeId = (1).toString(16).padStart(32, 'b');
    const t = await setup(() => {
      fetches++;
      if (fetches === 1) return Promise.reject(new PeerCallError('timeout', 'no answer within 5000 ms from http://10.0.0.13:7650'));
      return Promise.resolve({ seq: 1, advert: sampleAdvert({ nodeId, name: 'late-starter' }), responderId: nodeId, addr: '10.0.0.13:7650' });
    });
    t.mdns.respond(advert('late', member(1)), '10.0.0.13');
    await settle();
    expect(fetches).toBe(1);
    expect(t.registry.get(nodeId)).toBeUndefined();
    await t.clock.advance(1000);
    await settle();
    expect(fetches).toBe(2);
    expect(t.registry.get(nodeId)?.state).toBe('up');
  });

  it('a member that goes down is dropped from the adverts held, so its answer to our next query (known answers) is heard', async () => {
    const nodeId = (1).toString(16).padStart(32, 'b');
    const t = await setup(() => Promise.resolve({ seq: 1, advert: sampleAdvert({ nodeId, name: 'member' }), responderId: nodeId, addr: '10.0.0.13:7650' }));
    t.mdns.respond(advert('member', member(1)), '10.0.0.13');
    await settle();
    expect(t.registry.get(nodeId)?.state).toBe('up');
    expect(t.browser().services.map((s) => s.name)).toEqual(['member']);
    t.registry.recordCheck(nodeId, 'http://10.0.0.13:7650', { ok: false, error: 'connection refused', definitive: true }, t.clock.nowMs());
    expect(t.registry.get(nodeId)?.state).toBe('down');
    expect(t.browser().services).toHaveLength(0);
  });
});
