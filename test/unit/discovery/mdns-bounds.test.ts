/**
 * mdns.ts keeps bonjour-service's Browser bounded (issue 11). The Browser is the library's real
 * class, fed parsed packets through a fake multicast-dns emitter: no sockets, thousands of
 * distinct adverts in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { ENTRY_TTL_MS, MAX_ENTRIES, createMdnsDiscovery, type MdnsSighting } from '../../../discovery/mdns.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeMdns, advert, fakeBonjour, mdnsOptionsOn } from '../../helpers/fake-bonjour.js';

function setup(keep: (s: MdnsSighting) => boolean) {
  const mdns = new FakeMdns();
  const clock = new FakeClock();
  const fake = fakeBonjour(mdns);
  const sightings: MdnsSighting[] = [];
  const goodbyes: string[] = [];
  const discovery = createMdnsDiscovery({
    ...mdnsOptionsOn(fake.bonjour, clock, (s) => {
      sightings.push(s);
      return keep(s);
    }),
    instanceName: 'self-12345678',
    requeryMaxMs: 30_000,
    onGoodbye: (i) => goodbyes.push(i),
  });
  return { mdns, clock, discovery, sightings, goodbyes, browser: fake.browser };
}

const hugeTxt = { v: '1', junk: 'x'.repeat(8000) };

describe('mDNS browser entries stay bounded', () => {
  it('3,000 distinct adverts that fail the mesh check leave nothing in the browser', async () => {
    const t = setup(() => false);
    await t.discovery.start(new AbortController().signal);
    for (let i = 0; i < 3000; i++) t.mdns.emit('response', advert(`attacker-${i}`, hugeTxt), { address: '10.0.0.13', port: 5353 });
    expect(t.sightings).toHaveLength(3000);
    expect(t.sightings[0]?.source).toBe('10.0.0.13');
    expect(t.browser().services).toHaveLength(0);
    // The same name again is a fresh sighting (so a peer that fixes itself is seen), not a stale entry.
    t.mdns.emit('response', advert('attacker-0', hugeTxt), { address: '10.0.0.13', port: 5353 });
    expect(t.sightings).toHaveLength(3001);
    await t.discovery.stop();
  });

  it(`kept adverts are capped at ${MAX_ENTRIES}, oldest first, and expire after ${ENTRY_TTL_MS / 60_000} min`, async () => {
    const t = setup(() => true);
    await t.discovery.start(new AbortController().signal);
    for (let i = 0; i < 1000; i++) t.mdns.emit('response', advert(`member-${i}`, { v: '1' }), { address: '10.0.0.13', port: 5353 });
    const names = t.browser().services.map((s) => s.name);
    expect(names).toHaveLength(MAX_ENTRIES);
    expect(names[0]).toBe(`member-${1000 - MAX_ENTRIES}`);
    expect(names.at(-1)).toBe('member-999');
    await t.clock.advance(ENTRY_TTL_MS + 30_000);
    expect(t.browser().services).toHaveLength(0);
    await t.discovery.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('a kept advert still gets its goodbye (TTL 0) as a down event', async () => {
    const t = setup((s) => s.instance === 'peer');
    await t.discovery.start(new AbortController().signal);
    t.mdns.emit('response', advert('peer', { v: '1' }), { address: '10.0.0.7', port: 5353 });
    const bye = advert('peer', { v: '1' });
    bye.answers[0] = { ...bye.answers[0], ttl: 0 } as (typeof bye.answers)[0];
    t.mdns.emit('response', bye, { address: '10.0.0.7', port: 5353 });
    expect(t.goodbyes).toEqual(['peer']);
    await t.discovery.stop();
  });
});
