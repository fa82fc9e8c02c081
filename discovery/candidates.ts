/**
 * Turns "something that may be an agent of our mesh" (an mDNS sighting, a tailnet peer, a static
 * URL) into a registry member: it tries the addresses in order, fetches the signed advert from the
 * first that answers, and admits the node only if the answer proves the mesh key and that the node
 * itself answers at exactly that address (issue 10 §3). Failures are logged once per address and
 * reason, never listed, never routed to.
 */
import { describeError } from '../agent/errors.js';
import type { Clock } from '../agent/clock.js';
import type { Logger } from '../agent/log.js';
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

export interface CandidateVerifier {
  /** Resolves with the admitted node id, or null. Never rejects. */
  verify(candidate: Candidate, signal?: AbortSignal): Promise<string | null>;
}

export function createCandidateVerifier(opts: { client: PeerClient; registry: PeerRegistry; clock: Clock; log: Logger; selfId: string }): CandidateVerifier {
  const inFlight = new Map<string, Promise<string | null>>();

  const attempt = async (candidate: Candidate, signal?: AbortSignal): Promise<string | null> => {
    for (const url of candidate.urls) {
      try {
        const { seq, advert, responderId, addr } = await opts.client.fetchAdvert(url, { nodeId: candidate.expectedNodeId, signal });
        if (advert.nodeId === opts.selfId) return null;
        if (advert.nodeId !== responderId) {
          opts.log.once(`candidate-foreign-advert:${url}`, 'warn', 'ignoring an agent that serves the advert of another node', { url, answeredBy: responderId, advert: advert.nodeId });
          return null;
        }
        if (candidate.expectedNodeId && advert.nodeId !== candidate.expectedNodeId) {
          opts.log.once(`candidate-mismatch:${url}:${candidate.expectedNodeId}`, 'warn', 'ignoring an advert whose agent answers with another node id', {
            url,
            advertised: candidate.expectedNodeId,
            answered: advert.nodeId,
          });
          return null;
        }
        opts.registry.upsertMember({ advert, seq, source: candidate.source, url, nowMs: opts.clock.nowMs(), addr });
        return advert.nodeId;
      } catch (err) {
        if (signal?.aborted) return null;
        if (err instanceof PeerCallError && err.code === 'peer_not_member') {
          opts.log.once(`candidate-not-member:${url}`, 'warn', 'ignoring an agent that is not a member of this mesh', { url, source: candidate.source, reason: err.message });
          return null;
        }
        if (err instanceof PeerCallError && err.code === 'peer_misdirected') {
          // The address leads to a member only through something in between (a relay copying a
          // member's advert), or to another member than the advert claims: never record it.
          opts.log.once(`candidate-misdirected:${url}`, 'warn', 'ignoring an address that is not the claimed agent\'s own', { url, source: candidate.source, reason: err.message });
          return null;
        }
        if (err instanceof PeerCallError && err.code === 'peer_bad_response') {
          opts.log.once(`candidate-bad:${url}:${err.message}`, 'warn', 'ignoring a malformed peer advert', { url, reason: err.message });
          return null;
        }
        opts.log.debug('candidate did not answer', { url, error: describeError(err) });
      }
    }
    return null;
  };

  return {
    verify(candidate, signal) {
      const key = `${candidate.source}|${candidate.urls.join(',')}`;
      const running = inFlight.get(key);
      if (running) return running;
      const p = attempt(candidate, signal).finally(() => inFlight.delete(key));
      inFlight.set(key, p);
      return p;
    },
  };
}
