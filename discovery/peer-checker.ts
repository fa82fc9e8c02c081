/**
 * Our own liveness checks (TOOLCHAIN.md: mDNS never reports a crashed or cut-off peer): every
 * `intervalMs`, each path of each known peer is pinged in parallel, each ping with its own timeout,
 * so a hanging peer never delays the others. A ping that shows a new advert `seq` re-fetches the
 * advert; a ping answered by a different node (an address reused) drops that path.
 */
import type { Clock } from '../agent/clock.js';
import { describeError } from '../agent/errors.js';
import type { Service } from '../agent/lifecycle.js';
import type { Logger } from '../agent/log.js';
import { createProbeLoop } from '../agent/probe/probe-loop.js';
import { PeerCallError, type PeerClient } from './peer-client.js';
import type { PeerRegistry } from './registry.js';

export interface PeerChecker extends Service {
  /** Checks one node at once (after an mDNS goodbye, say). */
  checkNow(nodeId: string): Promise<void>;
}

export function createPeerChecker(opts: {
  registry: PeerRegistry;
  client: PeerClient;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
}): PeerChecker {
  const { registry, client, clock, log } = opts;
  let abort: AbortController | null = null;

  const checkPath = async (nodeId: string, url: string, signal: AbortSignal): Promise<void> => {
    try {
      const ping = await client.ping(url, signal);
      if (signal.aborted) return;
      if (ping.nodeId !== nodeId) {
        log.info('an address now answers for another node; dropping that path', { node: nodeId, url, answeredBy: ping.nodeId });
        registry.removePath(nodeId, url);
        return;
      }
      if (ping.leaving) {
        registry.recordCheck(nodeId, url, { ok: false, error: 'the agent is shutting down', definitive: true }, clock.nowMs());
        return;
      }
      const known = registry.get(nodeId);
      if (known && known.seq !== ping.seq) {
        const { seq, advert } = await client.fetchAdvert(url, signal);
        if (signal.aborted) return;
        if (advert.nodeId !== nodeId) throw new PeerCallError('bad_response', `${url} sent the advert of another node`);
        const path = known.paths.find((p) => p.url === url);
        registry.upsertMember({ advert, seq, source: path?.source ?? 'static', url, nowMs: clock.nowMs() });
        return;
      }
      registry.recordCheck(nodeId, url, { ok: true, seq: ping.seq }, clock.nowMs());
    } catch (err) {
      if (signal.aborted) return;
      const definitive = err instanceof PeerCallError && err.definitive;
      const clockOffsetMs = err instanceof PeerCallError ? err.clockOffsetMs : null;
      registry.recordCheck(nodeId, url, { ok: false, error: describeError(err), definitive, clockOffsetMs }, clock.nowMs());
    }
  };

  const checkNode = (nodeId: string, signal: AbortSignal): Promise<void>[] => {
    const node = registry.get(nodeId);
    if (!node) return [];
    return node.paths.filter((p) => p.source !== 'self' && p.source !== 'endpoint').map((p) => checkPath(nodeId, p.url, signal));
  };

  const loop = createProbeLoop({
    name: 'peers',
    intervalMs: opts.intervalMs,
    // Each ping has its own timeout inside; this only bounds a round.
    timeoutMs: opts.timeoutMs * 2 + 1000,
    clock,
    log,
    run: async (signal) => {
      await Promise.all(registry.snapshot().flatMap((n) => checkNode(n.nodeId, signal)));
    },
    onOutcome: () => undefined,
  });

  return {
    name: 'peer-checker',
    async start(signal) {
      abort = new AbortController();
      await loop.start(signal);
    },
    async checkNow(nodeId) {
      if (!abort) return;
      await Promise.all(checkNode(nodeId, abort.signal));
    },
    async stop() {
      abort?.abort(new Error('stopping'));
      abort = null;
      await loop.stop();
    },
  };
}
