/**
 * Which peers to health-check now, and how long to wait for each (issue 17). Pure: time comes in
 * as `nowMs`, state as plain values.
 *
 * - Pings adapt to the mesh: each peer is checked every `intervalMs`, or less often when that would
 *   exceed `maxChecksPerSec` for this agent (but at least every `MAX_PEER_INTERVAL_MS`; a crash is
 *   seen at once from its closed connections), so a mesh of n agents makes about n · maxChecksPerSec exchanges a
 *   second instead of n² a second. The nodes that serve now are checked every `intervalMs` whatever
 *   the size: agents routing to a node notice its crash first.
 * - A sign of life (our ping answered, or the peer's own signed request, or a relayed answer) counts
 *   as a check: a peer heard from lately is not pinged.
 * - The nodes that serve now go first; then those not up (a suspect must not wait behind up peers
 *   that are merely due: with the default 1 check/s and 19 peers, one did for 12 s after a crash);
 *   then the longest unheard.
 * - Timeouts follow the measured round-trip time (RFC 6298 §2: RTO = SRTT + 4·RTTVAR), between the
 *   configured timeout and twice it, so a busy peer is not marked suspect for being slow while a
 *   silent one is still noticed within seconds.
 */
export interface CheckCandidate {
  nodeId: string;
  up: boolean;
  lastSeenMs: number | null;
}

export interface ScheduleOptions {
  intervalMs: number;
  maxChecksPerSec: number;
}

/**
 * The longest a peer that does not serve goes unchecked (and unheard) in a large mesh. A crash is
 * seen sooner than this: the kernel closes a crashed agent's connections, and a closed connection
 * starts a check at once (peer-transport.ts, discovery.ts). What waits for this is a peer that
 * vanished without a word (power cut, cable pulled) and that no agent routes to.
 */
export const MAX_PEER_INTERVAL_MS = 10_000;

/** How often each of `peers` peers is checked (the nodes that serve: every `intervalMs`). */
export function perPeerIntervalMs(peers: number, o: ScheduleOptions): number {
  return Math.max(o.intervalMs, Math.min(MAX_PEER_INTERVAL_MS, Math.ceil((peers / o.maxChecksPerSec) * 1000)));
}

/**
 * The peers to check this round, at most `maxChecksPerSec · intervalMs` of them: down or suspect
 * ones every round (their state is what matters most), up ones once unheard for a per-peer interval.
 */
export function dueChecks(nodes: readonly CheckCandidate[], nowMs: number, o: ScheduleOptions & { inFlight: ReadonlySet<string>; serving: ReadonlySet<string> }): string[] {
  const slow = perPeerIntervalMs(nodes.length, o);
  const due = nodes.filter((n) => {
    if (o.inFlight.has(n.nodeId)) return false;
    if (!n.up || n.lastSeenMs === null) return true;
    const every = o.serving.has(n.nodeId) ? o.intervalMs : slow;
    return nowMs - n.lastSeenMs >= every - o.intervalMs / 2;
  });
  due.sort((a, b) => Number(o.serving.has(b.nodeId)) - Number(o.serving.has(a.nodeId)) || Number(a.up) - Number(b.up) || (a.lastSeenMs ?? 0) - (b.lastSeenMs ?? 0));
  const budget = Math.max(1, Math.floor((o.maxChecksPerSec * o.intervalMs) / 1000));
  return due.slice(0, budget).map((n) => n.nodeId);
}

export interface RttEstimate {
  srttMs: number;
  rttvarMs: number;
}

/** RFC 6298 §2.2–2.3 with α = 1/8, β = 1/4. */
export function updateRtt(prev: RttEstimate | undefined, sampleMs: number): RttEstimate {
  if (!prev) return { srttMs: sampleMs, rttvarMs: sampleMs / 2 };
  return { rttvarMs: 0.75 * prev.rttvarMs + 0.25 * Math.abs(prev.srttMs - sampleMs), srttMs: 0.875 * prev.srttMs + 0.125 * sampleMs };
}

/** The ping timeout for a peer: RTO from its RTT, kept between `minMs` and twice it. */
export function pingTimeoutMs(rtt: RttEstimate | undefined, minMs: number): number {
  if (!rtt) return minMs;
  return Math.round(Math.min(2 * minMs, Math.max(minMs, rtt.srttMs + 4 * rtt.rttvarMs)));
}
