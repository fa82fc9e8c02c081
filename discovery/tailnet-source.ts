/**
 * Tailnet discovery: polls this machine's Tailscale status on a self-rescheduling timer (the probe
 * loop, DESIGN.md §6.6) and reports the agent URLs of matching online peers whenever that list
 * changes. Which peers really run an agent is for the caller to find out by asking each URL.
 *
 * Quiet by design, since it runs on every machine whether or not Tailscale is used there:
 * - no Tailscale at all → one info line, then polling stops; a rare re-check (default every 10 min)
 *   notices a later install without an agent restart and logs nothing while it is still absent;
 * - not `Running` (logged out, stopped, …) → one warn per distinct BackendState until it runs again;
 * - malformed status → one warn per distinct message until a good one arrives;
 * - other failures (tailscaled down, timeouts) → the probe loop's one warn per distinct error; the last
 *   peer list is kept, since liveness comes from the agents' own health checks, not from here.
 */
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';
import { describeError } from '../agent/kernel/errors.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import { createProbeLoop, type ProbeOutcome } from '../agent/kernel/poll-loop.js';
import { TailscaleUnavailableError } from './tailscale-client.js';
import { parseTailscaleStatus, selectTailnetPeers, TailscaleStatusMalformedError, type TailnetFilter, type TailnetPeer, type TailscaleStatus } from './tailscale-status.js';

/** How long to wait before looking again for a Tailscale that is not installed. */
export const tailscaleRecheckMs = 10 * 60_000;

export interface TailnetPeerEndpoint {
  id: string;
  hostName: string;
  dnsName: string;
  /** `http://<ipv4>:<agentPort>`, or `http://[<ipv6>]:<agentPort>` for a peer without IPv4. */
  url: string;
}

export interface TailnetSourceOptions {
  clock: Clock;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
  /** Raw status JSON, e.g. `(s) => readTailscaleStatus(deps, s)`. */
  read: (signal: AbortSignal) => Promise<unknown>;
  filter: TailnetFilter;
  agentPort: number;
  onPeers: (peers: TailnetPeerEndpoint[]) => void;
  /** Defaults to `tailscaleRecheckMs`. */
  recheckMs?: number;
  /** Jitter source for the probe loop (tests pass a constant). */
  random?: () => number;
}

type Poll = { kind: 'unavailable' } | { kind: 'malformed'; message: string } | { kind: 'status'; status: TailscaleStatus };

/**
 * @example
 * const tailnet = createTailnetSource({ clock, log: log.child('tailnet'), intervalMs: 30_000, timeoutMs: 10_000,
 *   read: (s) => readTailscaleStatus({ exec, platform, localApi: createLocalApiReader() }, s),
 *   filter: { tags: ['tag:inference'], hostnamePattern: null }, agentPort: 7650, onPeers: (p) => registry.setTailnet(p) });
 * await tailnet.start(signal);
 */
export function createTailnetSource(opts: TailnetSourceOptions): Service {
  const recheckMs = opts.recheckMs ?? tailscaleRecheckMs;
  let stopped = true;
  let startSignal: AbortSignal | null = null;
  let cancelRecheck: CancelTimer | null = null;
  let loopStopping: Promise<void> = Promise.resolve();
  let lastKey: string | null = null;
  let unavailableLogged = false;
  const warnedStates = new Set<string>();
  const warnedMalformed = new Set<string>();

  const publish = (peers: TailnetPeerEndpoint[]): void => {
    const key = JSON.stringify(peers);
    if (key === lastKey) return;
    lastKey = key;
    opts.onPeers(peers);
  };

  const run = async (signal: AbortSignal): Promise<Poll> => {
    try {
      return { kind: 'status', status: parseTailscaleStatus(await opts.read(signal)) };
    } catch (err) {
      if (err instanceof TailscaleUnavailableError) return { kind: 'unavailable' };
      if (err instanceof TailscaleStatusMalformedError) return { kind: 'malformed', message: err.message };
      throw err;
    }
  };

  const loop = createProbeLoop<Poll>({
    name: 'tailnet',
    intervalMs: opts.intervalMs,
    timeoutMs: opts.timeoutMs,
    clock: opts.clock,
    log: opts.log,
    ...(opts.random ? { random: opts.random } : {}),
    run,
    onOutcome: (outcome: ProbeOutcome<Poll>) => {
      const poll = outcome.value;
      if (poll) handle(poll);
    },
  });

  const handle = (poll: Poll): void => {
    switch (poll.kind) {
      case 'unavailable':
        if (!unavailableLogged) opts.log.info('tailscale not found; tailnet discovery is off', { recheckMin: recheckMs / 60_000 });
        unavailableLogged = true;
        publish([]);
        pauseUntilRecheck();
        return;
      case 'malformed':
        if (!warnedMalformed.has(poll.message)) opts.log.warn('tailscale status unusable; keeping the last tailnet peers', { error: poll.message });
        warnedMalformed.add(poll.message);
        return;
      case 'status':
        warnedMalformed.clear();
        if (unavailableLogged) opts.log.info('tailscale found; tailnet discovery is on');
        unavailableLogged = false;
        onStatus(poll.status);
    }
  };

  const onStatus = (status: TailscaleStatus): void => {
    const state = status.BackendState;
    if (state !== 'Running') {
      if (!warnedStates.has(state)) opts.log.warn('tailscale is not running; no tailnet peers', { backendState: state });
      warnedStates.add(state);
      publish([]);
      return;
    }
    if (warnedStates.size > 0) opts.log.info('tailscale is running; tailnet discovery resumed');
    warnedStates.clear();
    publish(selectTailnetPeers(status, opts.filter).flatMap((p) => toEndpoint(p, opts.agentPort, opts.log)));
  };

  // Called from inside the loop's result handler: loop.stop() marks the loop stopped synchronously,
  // so it arms no next run; its promise settles once the current run has returned.
  const pauseUntilRecheck = (): void => {
    loopStopping = loop.stop();
    cancelRecheck?.();
    cancelRecheck = opts.clock.setTimeout(wake, recheckMs);
  };

  const wake = (): void => {
    cancelRecheck = null;
    const signal = startSignal;
    if (stopped || !signal) return;
    loopStopping = loopStopping
      .then(() => (stopped ? undefined : loop.start(signal)))
      .catch((err: unknown) => opts.log.error('tailnet re-check failed to start', { error: describeError(err) }));
  };

  return {
    name: 'tailnet-source',
    async start(signal) {
      if (signal.aborted || !stopped) return;
      stopped = false;
      startSignal = signal;
      lastKey = null;
      await loop.start(signal);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      startSignal = null;
      cancelRecheck?.();
      cancelRecheck = null;
      await loop.stop();
      await loopStopping;
    },
  };
}

function toEndpoint(peer: TailnetPeer, port: number, log: Logger): TailnetPeerEndpoint[] {
  const host = peer.ipv4 ?? (peer.ipv6 === null ? null : `[${peer.ipv6}]`);
  if (host === null) {
    log.once(`tailnet.no-ip.${peer.id}`, 'debug', 'tailnet peer has no Tailscale IP; skipped', { peer: peer.hostName });
    return [];
  }
  return [{ id: peer.id, hostName: peer.hostName, dnsName: peer.dnsName, url: `http://${host}:${port}` }];
}
