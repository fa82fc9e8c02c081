/**
 * RFC 6762 §6 pacing of the responder (discovery/response-pacing.ts, wired in mdns.ts): our answer
 * to a question goes out at most once a second, and askers within that second share one answer.
 */
import { describe, expect, it } from 'vitest';
import type { MdnsQuery } from '../../../discovery/known-answers.js';
import { createMdnsDiscovery } from '../../../discovery/mdns.js';
import { createResponsePacer } from '../../../discovery/response-pacing.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeMdns, fakeResponder, mdnsOptionsOn } from '../../helpers/fake-bonjour.js';

const TYPE = '_inference-mesh._tcp.local';
const FQDN = `self-1234.${TYPE}`;
const records = [
  { name: TYPE, type: 'PTR', ttl: 4500, data: FQDN },
  { name: FQDN, type: 'SRV', ttl: 120, data: { target: 'self.local', port: 7650 } },
];
const ptr = { name: TYPE, type: 'PTR' };
const srv = { name: FQDN, type: 'SRV' };

function setup() {
  const clock = new FakeClock();
  const startMs = clock.nowMs();
  const sent: { atMs: number; query: MdnsQuery }[] = [];
  const pacer = createResponsePacer({ clock, records: () => records, respond: (query) => sent.push({ atMs: clock.nowMs() - startMs, query }) });
  return { clock, sent, pacer };
}

describe('createResponsePacer', () => {
  it('answers at once, then holds a question asked within the second and answers it when the second ends', async () => {
    const t = setup();
    t.pacer.offer({ questions: [ptr] });
    await t.clock.advance(300);
    t.pacer.offer({ questions: [ptr] });
    await t.clock.advance(400);
    t.pacer.offer({ questions: [ptr] }); // a third asker shares the held answer
    expect(t.sent.map((s) => s.atMs)).toEqual([0]);
    await t.clock.advance(299);
    expect(t.sent).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.sent).toEqual([
      { atMs: 0, query: { questions: [ptr] } },
      { atMs: 1000, query: { questions: [ptr] } },
    ]);
    // The held answer counts as the last one: the next within a second waits again.
    await t.clock.advance(500);
    t.pacer.offer({ questions: [ptr] });
    await t.clock.advance(499);
    expect(t.sent).toHaveLength(2);
    await t.clock.advance(1);
    expect(t.sent.map((s) => s.atMs)).toEqual([0, 1000, 2000]);
  });

  it('answers a question a second or more after the last answer at once', async () => {
    const t = setup();
    t.pacer.offer({ questions: [ptr] });
    await t.clock.advance(1000);
    t.pacer.offer({ questions: [ptr] });
    await t.clock.advance(2500);
    t.pacer.offer({ questions: [ptr] });
    expect(t.sent.map((s) => s.atMs)).toEqual([0, 1000, 3500]);
  });

  it('paces each question apart, names without case, and passes on what our records do not answer', async () => {
    const t = setup();
    const stranger = { name: `other.${TYPE}`, type: 'SRV' };
    t.pacer.offer({ questions: [ptr], answers: [] });
    await t.clock.advance(100);
    const mixed = { questions: [{ name: TYPE.toUpperCase(), type: 'PTR' }, srv, stranger], answers: [] };
    t.pacer.offer(mixed);
    // SRV was not answered yet and the stranger's question is not ours: both go now, the PTR waits.
    expect(t.sent[1]).toEqual({ atMs: 100, query: { questions: [srv, stranger], answers: [] } });
    await t.clock.advance(900);
    expect(t.sent[2]).toEqual({ atMs: 1000, query: { questions: [{ name: TYPE.toUpperCase(), type: 'PTR' }] } });
    // Questions of a name we do not hold are not remembered: asked again, they go at once.
    t.pacer.offer({ questions: [stranger] });
    expect(t.sent).toHaveLength(4);
  });

  it('drops held answers on stop', async () => {
    const t = setup();
    t.pacer.offer({ questions: [ptr] });
    t.pacer.offer({ questions: [ptr] });
    t.pacer.stop();
    await t.clock.advance(5000);
    expect(t.sent).toHaveLength(1);
  });
});

describe('mDNS discovery paces its responder (issue 17)', () => {
  it('answers the first of queries from several starting agents at once and the rest in one answer a second later', async () => {
    const mdns = new FakeMdns();
    const answered: { atMs: number; query: MdnsQuery }[] = [];
    const clock = new FakeClock();
    const startMs = clock.nowMs();
    mdns.on('query', (query: MdnsQuery) => answered.push({ atMs: clock.nowMs() - startMs, query }));
    const discovery = createMdnsDiscovery(mdnsOptionsOn(fakeResponder(mdns, { PTR: [records[0]], SRV: [records[1]] }), clock));
    await discovery.start(new AbortController().signal);
    for (let i = 0; i < 5; i++) {
      mdns.emit('query', { questions: [ptr], answers: [] }, { address: `10.0.0.${10 + i}`, port: 5353 });
      await clock.advance(100);
    }
    await clock.advance(500);
    expect(answered.map((a) => a.atMs)).toEqual([0, 1000]);
    // Stopping drops an answer still held.
    mdns.emit('query', { questions: [ptr], answers: [] }, { address: '10.0.0.9', port: 5353 });
    await discovery.stop();
    await clock.advance(2000);
    expect(answered).toHaveLength(2);
  });
});
