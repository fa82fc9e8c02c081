/**
 * Our own liveness checks (TOOLCHAIN.md: mDNS never reports a crashed or cut-off peer). Every
 * `intervalMs` a round starts the checks that are due (check-schedule.ts: adaptive to the mesh size,
 * capped per second, serving nodes first, peers heard from lately skipped); each path of a node is
 * pinged with a timeout that follows its round-trip time, and a round never waits for a slow peer,
 * so a hanging peer delays no one. A ping that shows a new advert `seq` re-fetches the advert; a
 * ping answered by a different node (an address reused) or through a relay drops that path.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../agent/kernel/clock.js';
import { describeError } from '../agent/kernel/errors.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import { createProbeLoop } from '../agent/kernel/poll-loop.js';
import { dueChecks, pingTimeoutMs, updateRtt, type RttEstimate } from './check-schedule.js';
import { MAX_CALLS_IN_FLIGHT, PeerCallError, type PeerClient } from './peer-client.js';
import type { PeerRegistry } from './registry.js';

export interface PeerChecker extends Service {
  /** Checks one node at once (after an mDNS goodbye, say). */
  checkNow(nodeId: string): Promise<void>;
  /**
   * A round trip measured outside our pings (a first contact's advert fetch): the first ping then
   * waits as long as the path has shown it needs. With 20 agents starting on 2 cores a first
   * contact took seconds, and the first ping's fixed 1 s made every new member suspect (issue 17).
   */
  sawRoundTrip(url: string, ms: number): void;
}

export function createPeerChecker(opts: {
  registry: PeerRegistry;
  client: PeerClient;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  /** The shortest ping timeout (and the first one, before any round trip was measured). */
  timeoutMs: number;
  /** At most this many node checks a second from this agent (issue 17). */
  maxChecksPerSec?: number;
  /** Nodes that serve a kind now: checked first. */
  serving?: () => ReadonlySet<string>;
}): PeerChecker {
  const { registry, client, clock, log } = opts;
  let abort: AbortController | null = null;
  /** Keyed by node id. */
  const inFlight = new Map<string, Promise<void>>();
  /** Keyed by node id: the check to run once the one in flight is done (checkNow). */
  const queued = new Map<string, Promise<void>>();
  /** Keyed by path URL. */
  const rtt = new Map<string, RttEstimate>();

  const addRtt = (url: string, ms: number): void => {
    if (rtt.size > 4096) rtt.clear();
    rtt.set(url, updateRtt(rtt.get(url), ms));
  };

  const checkPath = async (nodeId: string, url: string, signal: AbortSignal): Promise<void> => {
    const t0 = clock.monotonicMs();
    try {
      const ping = await client.ping(url, { nodeId, signal, timeoutMs: pingTimeoutMs(rtt.get(url), opts.timeoutMs) });
      if (signal.aborted) return;
      addRtt(url, clock.monotonicMs() - t0);
      if (ping.nodeId !== nodeId || ping.responderId !== nodeId) {
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
        const { seq, advert, addr } = await client.fetchAdvert(url, { nodeId, signal });
        if (signal.aborted) return;
        if (advert.nodeId !== nodeId) throw new PeerCallError('bad_response', `${url} sent the advert of another node`);
        const path = known.paths.find((p) => p.url === url);
        registry.upsertMember({ advert, seq, source: path?.source ?? 'static', url, nowMs: clock.nowMs(), addr });
        return;
      }
      registry.recordCheck(nodeId, url, { ok: true, seq: ping.seq, addr: ping.addr }, clock.nowMs());
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof PeerCallError && err.code === 'peer_misdirected') {
        // The address no longer leads to this node itself (reused, or a relay): it is not a path to it.
        log.info("an address is not (or no longer) this node's own; dropping that path", { node: nodeId, url, reason: err.message });
        registry.removePath(nodeId, url);
        return;
      }
      const definitive = err instanceof PeerCallError && err.definitive;
      const clockOffsetMs = err instanceof PeerCallError ? err.clockOffsetMs : null;
      registry.recordCheck(nodeId, url, { ok: false, error: describeError(err), definitive, clockOffsetMs }, clock.nowMs());
    }
  };

  /** Starts the checks of one node's paths (at most one round of them at a time). */
  const checkNode = (nodeId: string, signal: AbortSignal): Promise<void> => {
    const running = inFlight.get(nodeId);
    if (running) return running;
    const node = registry.get(nodeId);
    if (!node) return Promise.resolve();
    const done = Promise.all(node.paths.filter((p) => p.source !== 'self' && p.source !== 'endpoint').map((p) => checkPath(nodeId, p.url, signal))).then(() => {
      inFlight.delete(nodeId);
    });
    inFlight.set(nodeId, done);
    return done;
  };

  const loop = createProbeLoop({
    name: 'peers',
    intervalMs: opts.intervalMs,
    timeoutMs: opts.intervalMs,
    clock,
    log,
    run: async (signal) => {
      const peers = registry.snapshot().filter((n) => n.paths.some((p) => p.source !== 'self' && p.source !== 'endpoint'));
      const due = dueChecks(
        peers.map((n) => ({ nodeId: n.nodeId, up: n.state === 'up', lastSeenMs: n.lastSeenMs })),
        clock.nowMs(),
        { intervalMs: opts.intervalMs, maxChecksPerSec: opts.maxChecksPerSec ?? 1, inFlight: new Set(inFlight.keys()), serving: opts.serving?.() ?? new Set() },
      );
      // Started, not awaited: a round never waits for a slow peer; each ping has its own timeout.
      for (const nodeId of due) void checkNode(nodeId, abort?.signal ?? signal);
    },
    onOutcome: () => undefined,
  });

  return {
    name: 'peer-checker',
    async start(signal) {
      abort = new AbortController();
      // Every call in flight (checks, verifications: bounded, but dozens at once after a power cut)
      // listens to this signal; Node warns past 10.
      setMaxListeners(MAX_CALLS_IN_FLIGHT, abort.signal);
      await loop.start(signal);
    },
    async checkNow(nodeId) {
      if (!abort) return;
      const signal = abort.signal;
      const running = inFlight.get(nodeId);
      if (!running) return checkNode(nodeId, signal);
      // A check already under way may have been sent before what prompted this one (a connection
      // that just closed): one more follows it, however many ask meanwhile.
      let again = queued.get(nodeId);
      if (!again) {
        again = running.then(() => {
          queued.delete(nodeId);
          return signal.aborted ? undefined : checkNode(nodeId, signal);
        });
        queued.set(nodeId, again);
      }
      await again;
    },
    sawRoundTrip(url, ms) {
      addRtt(url, ms);
    },
    async stop() {
      abort?.abort(new Error('stopping'));
      abort = null;
      await loop.stop();
      await Promise.all([...inFlight.values(), ...queued.values()]);
      inFlight.clear();
      queued.clear();
    },
  };
}
