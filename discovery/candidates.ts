/**
 * Turns "something that may be an agent of our mesh" (an mDNS sighting, a tailnet peer, a static
 * URL) into a registry member: it tries the addresses in order, fetches the signed advert from the
 * first that answers, and admits the node only if the answer proves the mesh key and that the node
 * itself answers at exactly that address (issue 10 §3). Failures are logged once per address and
 * reason, never listed, never routed to.
 */
import { describeError } from '../agent/kernel/errors.js';
import type { Clock } from '../agent/kernel/clock.js';
import type { Logger } from '../agent/kernel/log.js';
import { PeerCallError, type PeerClient } from './peer-client.js';
import type { PeerRegistry } from './registry.js';
import type { PeerSource } from './types.js';

export interface Candidate {
  /** Agent base URLs to try, best first. */
  urls: string[];
  source: PeerSource;
  /** The node id the advert claimed (mDNS TXT); the answer must match it. */
  expectedNodeId?: string;
}

/**
 * The admitted node id; or why not: `retry` when no address gave a definite answer (refused, timed
 * out: the peer may still be starting, as after a power cut), false when one did (another mesh, a
 * relay, a malformed advert: asking again soon would change nothing).
 */
export type VerifyOutcome = { admitted: string } | { admitted: null; retry: boolean };

export interface CandidateVerifier {
  /** Never rejects. */
  verify(candidate: Candidate, signal?: AbortSignal): Promise<VerifyOutcome>;
}

/**
 * A first contact may meet a peer that is busy starting (every machine boots at once after a power
 * cut): it gets longer than a routine ping (issue 17).
 */
export const FIRST_CONTACT_TIMEOUT_MS = 5000;

export function createCandidateVerifier(opts: {
  client: PeerClient;
  registry: PeerRegistry;
  clock: Clock;
  log: Logger;
  selfId: string;
  /** The round trip of an admitting answer at `url`: the first measurement of that path (RFC 6298 §2.2). */
  onRoundTrip?: (url: string, ms: number) => void;
}): CandidateVerifier {
  const inFlight = new Map<string, Promise<VerifyOutcome>>();
  /** Keyed by the node id a candidate claims: the verification of it running now. */
  const inFlightByNode = new Map<string, Promise<VerifyOutcome>>();
  const refused: VerifyOutcome = { admitted: null, retry: false };

  const attempt = async (candidate: Candidate, signal?: AbortSignal): Promise<VerifyOutcome> => {
    let retry = false;
    for (const url of candidate.urls) {
      try {
        const t0 = opts.clock.monotonicMs();
        const { seq, advert, responderId, addr } = await opts.client.fetchAdvert(url, { nodeId: candidate.expectedNodeId, signal, timeoutMs: FIRST_CONTACT_TIMEOUT_MS });
        const roundTripMs = opts.clock.monotonicMs() - t0;
        if (advert.nodeId === opts.selfId) return refused;
        if (advert.nodeId !== responderId) {
          opts.log.once(`candidate-foreign-advert:${url}`, 'warn', 'ignoring an agent that serves the advert of another node', { url, answeredBy: responderId, advert: advert.nodeId });
          return refused;
        }
        if (candidate.expectedNodeId && advert.nodeId !== candidate.expectedNodeId) {
          opts.log.once(`candidate-mismatch:${url}:${candidate.expectedNodeId}`, 'warn', 'ignoring an advert whose agent answers with another node id', {
            url,
            advertised: candidate.expectedNodeId,
            answered: advert.nodeId,
          });
          return refused;
        }
        opts.onRoundTrip?.(url, roundTripMs);
        opts.registry.upsertMember({ advert, seq, source: candidate.source, url, nowMs: opts.clock.nowMs(), addr });
        return { admitted: advert.nodeId };
      } catch (err) {
        if (signal?.aborted) return refused;
        if (err instanceof PeerCallError && err.code === 'peer_not_member') {
          opts.log.once(`candidate-not-member:${url}`, 'warn', 'ignoring an agent that is not a member of this mesh', { url, source: candidate.source, reason: err.message });
          return refused;
        }
        if (err instanceof PeerCallError && err.code === 'peer_misdirected') {
          // The address leads to a member only through something in between (a relay copying a
          // member's advert), or to another member than the advert claims: never record it.
          opts.log.once(`candidate-misdirected:${url}`, 'warn', 'ignoring an address that is not the claimed agent\'s own', { url, source: candidate.source, reason: err.message });
          return refused;
        }
        if (err instanceof PeerCallError && err.code === 'peer_bad_response') {
          opts.log.once(`candidate-bad:${url}:${err.message}`, 'warn', 'ignoring a malformed peer advert', { url, reason: err.message });
          return refused;
        }
        retry = true;
        opts.log.debug('candidate did not answer', { url, error: describeError(err) });
      }
    }
    return { admitted: null, retry };
  };

  return {
    verify(candidate, signal) {
      const key = `${candidate.source}|${candidate.urls.join(',')}`;
      const expected = candidate.expectedNodeId;
      // Hearsay about a node already being verified (its mDNS advert, another member's word) waits
      // for that answer: after a power cut every member hears of every other several ways at once,
      // and each extra first contact is one more request to a machine busy starting (issue 17).
      const running = inFlight.get(key) ?? (candidate.source === 'peer' && expected !== undefined ? inFlightByNode.get(expected) : undefined);
      if (running) return running;
      const p = attempt(candidate, signal).finally(() => {
        inFlight.delete(key);
        if (expected !== undefined && inFlightByNode.get(expected) === p) inFlightByNode.delete(expected);
      });
      inFlight.set(key, p);
      if (expected !== undefined) inFlightByNode.set(expected, p);
      return p;
    },
  };
}
