/**
 * RFC 6762 §7.1 known-answer suppression, both sides. A query lists the PTR records the asker
 * already holds; a responder whose own PTR record is among them (with at least half its TTL left)
 * stays silent. Without it every requery of every agent is answered by every other, and every
 * answer is multicast to all: after a power cut of 20 agents, each one decoded about 1,500 mDNS
 * answers about peers it already knew while the mesh formed (issue 17). bonjour-service 1.x does
 * neither side itself; mdns.ts applies these to its multicast-dns instance.
 */

/** A resource record as multicast-dns (dns-packet) hands it over. */
export interface MdnsRecord {
  name: string;
  type: string;
  ttl?: number;
  data?: unknown;
}

export interface MdnsQuery {
  questions: { name: string; type: string }[];
  answers?: MdnsRecord[];
}

/** What the browser holds about one peer's advert: its PTR's target, TTL (s) and when it was last heard. */
export interface HeldAnswer {
  fqdn: string;
  ttlSec: number;
  lastSeenMs: number;
}

/** DNS names compare without regard to ASCII case (RFC 1035 §2.3.3). */
const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The PTR query for `serviceType` (e.g. `_inference-mesh._tcp.local`) with the answers held, each
 * with the TTL it has left; those past half their TTL are left out, so they are refreshed (§7.1).
 */
export function knownAnswerQuery(serviceType: string, held: readonly HeldAnswer[], nowMs: number): MdnsQuery {
  const answers: MdnsRecord[] = [];
  for (const h of held) {
    const leftSec = Math.floor(h.ttlSec - (nowMs - h.lastSeenMs) / 1000);
    if (leftSec > h.ttlSec / 2) answers.push({ name: serviceType, type: 'PTR', ttl: leftSec, data: h.fqdn });
  }
  return { questions: [{ name: serviceType, type: 'PTR' }], answers };
}

/**
 * The query without the PTR questions that `own` (this responder's PTR records) fully answers
 * with known answers the asker already holds (§7.1: TTL at least half of ours); other questions
 * (ANY, SRV, another type) pass unchanged.
 */
export function withoutKnownAnswers(query: MdnsQuery, own: readonly MdnsRecord[]): MdnsQuery {
  const known = (query.answers ?? []).filter((a) => a.type === 'PTR');
  if (known.length === 0) return query;
  const isKnown = (r: MdnsRecord): boolean =>
    known.some((k) => sameName(k.name, r.name) && typeof k.data === 'string' && typeof r.data === 'string' && sameName(k.data, r.data) && (k.ttl ?? 0) >= (r.ttl ?? 0) / 2);
  const questions = query.questions.filter((q) => {
    if (q.type !== 'PTR') return true;
    const ours = own.filter((r) => r.type === 'PTR' && sameName(r.name, q.name));
    return ours.length === 0 || !ours.every(isKnown);
  });
  return questions.length === query.questions.length ? query : { ...query, questions };
}
