/**
 * RFC 6762 §6: a responder "MUST NOT (except in the one special case of answering probe queries)
 * multicast a record on a given interface until at least one second has elapsed since the last time
 * that record was multicast on that particular interface". bonjour-service answers every query at
 * once. After a power cut every agent queries as it starts, every other agent answered each query,
 * and every answer went to all: with 20 agents each one decoded about 600 answers in its first 3 s
 * (issue 17). Paced, our answer to a question goes out at most once a second, and that one multicast
 * reaches every asker: a question asked within a second of our last answer to it is answered when
 * that second ends, together with any asked meanwhile.
 */
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';
import type { MdnsQuery, MdnsRecord } from './known-answers.js';

export const MIN_MULTICAST_INTERVAL_MS = 1000;

export interface ResponsePacerOptions {
  clock: Clock;
  /** The records this responder answers with (bonjour-service's registry), read at each question. */
  records: () => readonly MdnsRecord[];
  /** Answers a query now (bonjour-service's respondToQuery). */
  respond: (query: MdnsQuery) => void;
  intervalMs?: number;
}

export interface ResponsePacer {
  /** Answers now the questions not answered within the interval; holds the others until it ends. */
  offer(query: MdnsQuery): void;
  /** Drops the held answers (the responder is stopping). */
  stop(): void;
}

/** DNS names compare without regard to ASCII case (RFC 1035 §2.3.3). */
const keyOf = (q: { name: string; type: string }): string => `${q.type.toUpperCase()} ${q.name.toLowerCase()}`;

export function createResponsePacer(opts: ResponsePacerOptions): ResponsePacer {
  const intervalMs = opts.intervalMs ?? MIN_MULTICAST_INTERVAL_MS;
  /** When we last answered each question; only questions our records answer, so a few keys. */
  const lastAnsweredMs = new Map<string, number>();
  const held = new Map<string, CancelTimer>();

  const ours = (q: { name: string; type: string }): boolean => {
    const name = q.name.toLowerCase();
    return opts.records().some((r) => r.name.toLowerCase() === name && (q.type === 'ANY' || r.type === q.type));
  };

  return {
    offer(query) {
      const nowMs = opts.clock.nowMs();
      const now: MdnsQuery['questions'] = [];
      for (const q of query.questions) {
        // Nothing of ours answers it (respondToQuery sends nothing): not worth remembering.
        if (!ours(q)) {
          now.push(q);
          continue;
        }
        const key = keyOf(q);
        if (held.has(key)) continue; // the held answer goes to this asker too
        const lastMs = lastAnsweredMs.get(key);
        if (lastMs === undefined || nowMs - lastMs >= intervalMs) {
          lastAnsweredMs.set(key, nowMs);
          now.push(q);
          continue;
        }
        held.set(
          key,
          opts.clock.setTimeout(() => {
            held.delete(key);
            lastAnsweredMs.set(key, opts.clock.nowMs());
            opts.respond({ questions: [q] });
          }, lastMs + intervalMs - nowMs),
        );
      }
      if (now.length > 0) opts.respond(now.length === query.questions.length ? query : { ...query, questions: now });
    },
    stop() {
      for (const cancel of held.values()) cancel();
      held.clear();
    },
  };
}
