/**
 * RFC 6762 §7.1 known-answer suppression (discovery/known-answers.ts) and its wiring in mdns.ts:
 * requeries list the adverts held; the responder stays silent when the asker holds ours.
 */
import { describe, expect, it } from 'vitest';
import { knownAnswerQuery, withoutKnownAnswers, type MdnsQuery } from '../../../discovery/known-answers.js';
import { createMdnsDiscovery } from '../../../discovery/mdns.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeMdns, advert, fakeResponder, mdnsOptionsOn } from '../../helpers/fake-bonjour.js';

const TYPE = '_inference-mesh._tcp.local';
const ownPtr = { name: TYPE, type: 'PTR', ttl: 28800, data: `self-1234.${TYPE}` };

describe('knownAnswerQuery', () => {
  it('lists held adverts with the TTL they have left, and leaves out those past half of it', () => {
    const q = knownAnswerQuery(
      TYPE,
      [
        { fqdn: `a.${TYPE}`, ttlSec: 4500, lastSeenMs: 100_000 },
        { fqdn: `b.${TYPE}`, ttlSec: 4500, lastSeenMs: 100_000 - 2300_000 },
      ],
      110_000,
    );
    expect(q).toEqual({ questions: [{ name: TYPE, type: 'PTR' }], answers: [{ name: TYPE, type: 'PTR', ttl: 4490, data: `a.${TYPE}` }] });
  });
});

describe('withoutKnownAnswers', () => {
  const question = { questions: [{ name: TYPE, type: 'PTR' }] };

  it('drops the PTR question the asker already holds our answer to', () => {
    expect(withoutKnownAnswers({ ...question, answers: [{ ...ownPtr, ttl: 20000 }] }, [ownPtr]).questions).toEqual([]);
    // DNS names compare without case.
    expect(withoutKnownAnswers({ questions: [{ name: TYPE.toUpperCase(), type: 'PTR' }], answers: [{ ...ownPtr, data: ownPtr.data.toUpperCase() }] }, [ownPtr]).questions).toEqual([]);
  });

  it.each<[string, MdnsQuery]>([
    ['no known answers', question],
    ['other peers only', { ...question, answers: [{ ...ownPtr, data: `other.${TYPE}` }] }],
    ['ours with less than half its TTL left', { ...question, answers: [{ ...ownPtr, ttl: 14000 }] }],
  ])('answers when the asker holds %s', (_, query) => {
    expect(withoutKnownAnswers(query, [ownPtr]).questions).toEqual(question.questions);
  });

  it('passes other questions unchanged', () => {
    const query = { questions: [{ name: TYPE, type: 'PTR' }, { name: `self-1234.${TYPE}`, type: 'SRV' }], answers: [ownPtr] };
    expect(withoutKnownAnswers(query, [ownPtr]).questions).toEqual([{ name: `self-1234.${TYPE}`, type: 'SRV' }]);
  });
});

class RecordingMdns extends FakeMdns {
  readonly sent: unknown[] = [];
  override query(packet?: unknown): void {
    this.sent.push(packet);
  }
}

function setup() {
  const mdns = new RecordingMdns();
  const answered: MdnsQuery[] = [];
  mdns.on('query', (q: MdnsQuery) => answered.push(q));
  const clock = new FakeClock();
  const discovery = createMdnsDiscovery(mdnsOptionsOn(fakeResponder(mdns, { PTR: [ownPtr] }), clock, (s) => s.instance !== 'stranger'));
  return { mdns, answered, clock, discovery };
}

describe('mDNS discovery with known answers (issue 17)', () => {
  it('requeries list the adverts kept, so only peers not yet known answer', async () => {
    const t = setup();
    await t.discovery.start(new AbortController().signal);
    t.mdns.respond(advert('peer-a', { v: '1' }), '10.0.0.7');
    t.mdns.respond(advert('stranger', { v: '1' }), '10.0.0.8');
    t.mdns.sent.length = 0;
    await t.clock.advance(1000);
    expect(t.mdns.sent).toEqual([{ questions: [{ name: TYPE, type: 'PTR' }], answers: [{ name: TYPE, type: 'PTR', ttl: 4499, data: `peer-a.${TYPE}` }] }]);
    await t.discovery.stop();
  });

  it('the responder stays silent for an asker that holds our advert, and answers the others', async () => {
    const t = setup();
    await t.discovery.start(new AbortController().signal);
    t.mdns.emit('query', { questions: [{ name: TYPE, type: 'PTR' }], answers: [ownPtr] }, { address: '10.0.0.7', port: 5353 });
    expect(t.answered).toEqual([]);
    const fresh = { questions: [{ name: TYPE, type: 'PTR' }], answers: [] };
    t.mdns.emit('query', fresh, { address: '10.0.0.8', port: 5353 });
    expect(t.answered).toEqual([fresh]);
    await t.discovery.stop();
  });
});
