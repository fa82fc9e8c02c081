/**
 * Calls to other agents over the peer protocol: every request is signed with the mesh key, addressed
 * to the node meant (or to any node on a first contact) and bound to the address dialled; every
 * answer must carry the peer's signature over that same address, so both sides prove they hold the
 * key without it crossing the wire, and an address is only ever tied to a node that answered there
 * itself (discovery/peer-auth.ts, issue 10 §3). Host names are resolved first, so what is signed and
 * checked is the IP actually dialled. Every call has a timeout, and bodies are size-limited, so an
 * unreachable, hanging or hostile peer never delays the others or exhausts memory.
 */
import { z } from 'zod';
import { timeoutSignal, TimeoutError, type Clock } from '../agent/kernel/clock.js';
import { AgentError } from '../agent/kernel/errors.js';
import { describeFetchError } from '../agent/kernel/fetch-error.js';
import { nodeAdvertSchema, type NodeAdvert } from './advert.js';
import { resolveAgentUrl, type LookupHost } from './peer-address.js';
import { settingsViewSchema, type Settings } from '../agent/kernel/shapes/settings.js';
import type { SettingsView } from '../agent/kernel/shapes/settings.js';
import { formatClockOffset, peerClockOffsetMs } from './clock-skew.js';
import { ANY_RECIPIENT, AUTH_HEADERS, DEFAULT_MAX_SKEW_MS, signRequest, verifyResponse } from './peer-auth.js';
import type { PeerHttpAnswer, PeerTransport } from './peer-transport.js';

/** Peer calls that may wait on one parent signal at once (a mesh of hundreds, all starting): Node's listener warning starts above it. */
export const MAX_CALLS_IN_FLIGHT = 1024;

/** An advert is a few KB; anything far larger is not one of ours. */
export const MAX_PEER_BODY_BYTES = 256 * 1024;

export const peerPingSchema = z.object({ nodeId: z.string(), seq: z.number().int().nonnegative(), leaving: z.boolean() });
export type PeerPing = z.infer<typeof peerPingSchema>;
export const peerAdvertResponseSchema = z.object({ seq: z.number().int().nonnegative(), advert: nodeAdvertSchema });

/** Why a peer call failed, with `definitive` when the peer is certainly not serving. */
export class PeerCallError extends AgentError {
  readonly definitive: boolean;
  /** `clock_skew` only: the peer's clock minus ours (discovery/clock-skew.ts). */
  readonly clockOffsetMs: number | null;
  /** `http` only: the peer's status. */
  readonly status: number | null;
  constructor(
    code: 'unreachable' | 'refused' | 'timeout' | 'not_member' | 'misdirected' | 'clock_skew' | 'bad_response' | 'http',
    message: string,
    definitive = false,
    clockOffsetMs: number | null = null,
    status: number | null = null,
  ) {
    super(`peer_${code}`, message, { httpStatus: 502 });
    this.definitive = definitive;
    this.clockOffsetMs = clockOffsetMs;
    this.status = status;
  }
}

export interface PeerCallOptions {
  /** The node expected to answer there; unknown on a first contact (any member may answer). */
  nodeId?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Overrides the client's timeout for this call (a first contact, an RTT-based ping). */
  timeoutMs?: number | undefined;
}

/** A verified answer, with the node that proved it answers at `addr`, the `ip:port` dialled. */
export type Proven<T> = T & { responderId: string; addr: string };

export interface PeerClient {
  ping(baseUrl: string, o?: PeerCallOptions): Promise<Proven<PeerPing>>;
  fetchAdvert(baseUrl: string, o?: PeerCallOptions): Promise<Proven<{ seq: number; advert: NodeAdvert }>>;
  /**
   * Another node's settings (issue 16: one place to set up the mesh): read, or changed with `change`
   * and returned as in effect there. Always addressed to that node (never a first contact).
   */
  settings(baseUrl: string, nodeId: string, change?: Settings): Promise<Proven<SettingsView>>;
}

/** Saving settings writes the peer's state file: more than a ping, still bounded. */
export const REMOTE_SETTINGS_TIMEOUT_MS = 10_000;

/** Unsigned hints a request carries about its sender: checked before use, never trusted (issue 17). */
export const HINT_HEADERS = { port: 'x-im-port', seq: 'x-im-seq' } as const;

export function createPeerClient(opts: {
  key: string;
  selfId: string;
  /** node:http with a keep-alive pool (peer-transport.ts). */
  transport: PeerTransport;
  clock: Clock;
  timeoutMs: number;
  lookup?: LookupHost | undefined;
  /** This agent's port and advert counter, sent along so the peer can find us and see our changes. */
  hints?: { port: () => number; seq: () => number } | undefined;
}): PeerClient {
  const call = async <T extends object>(baseUrl: string, path: string, schema: z.ZodType<T>, o: PeerCallOptions & { method?: 'GET' | 'PUT'; json?: unknown } = {}): Promise<Proven<T>> => {
    const method = o.method ?? 'GET';
    // Signed over the exact bytes sent (peer-auth.ts).
    const requestBody = o.json === undefined ? undefined : JSON.stringify(o.json);
    const deadline = timeoutSignal(opts.clock, o.timeoutMs ?? opts.timeoutMs, o.signal);
    try {
      let target: Awaited<ReturnType<typeof resolveAgentUrl>>;
      try {
        target = await resolveAgentUrl(baseUrl, opts.lookup);
      } catch (err) {
        throw new PeerCallError('unreachable', describeFetchError(err, baseUrl));
      }
      const headers = signRequest({ key: opts.key, nodeId: opts.selfId, to: o.nodeId ?? ANY_RECIPIENT, dialled: target.dialled, method, path, body: requestBody, nowMs: opts.clock.nowMs() });
      if (requestBody !== undefined) headers['content-type'] = 'application/json';
      const nonce = headers[AUTH_HEADERS.nonce] as string;
      if (opts.hints) {
        headers[HINT_HEADERS.port] = String(opts.hints.port());
        headers[HINT_HEADERS.seq] = String(opts.hints.seq());
      }
      let res: PeerHttpAnswer;
      try {
        res = await opts.transport({ method, origin: target.origin, path, headers, signal: deadline.signal, maxBodyBytes: MAX_PEER_BODY_BYTES, ...(requestBody === undefined ? {} : { body: requestBody }) });
      } catch (err) {
        const reason = deadline.signal.reason instanceof TimeoutError ? deadline.signal.reason : err;
        const code = (err as { code?: unknown }).code;
        if (code === 'ECONNREFUSED') throw new PeerCallError('refused', describeFetchError(err, baseUrl), true);
        if (reason instanceof TimeoutError) throw new PeerCallError('timeout', describeFetchError(reason, baseUrl));
        throw new PeerCallError('unreachable', describeFetchError(err, baseUrl));
      }
      if (res.tooLarge) {
        const { declaredBytes } = res.tooLarge;
        throw new PeerCallError('bad_response', declaredBytes === null ? `answer too large (over ${MAX_PEER_BODY_BYTES} bytes)` : `answer too large (${declaredBytes} bytes, limit ${MAX_PEER_BODY_BYTES})`);
      }
      const body = res.body;
      const offsetMs = res.status === 401 ? peerClockOffsetMs(new TextDecoder().decode(body)) : null;
      // The peer answers, so it is certainly up but will refuse us until a clock is fixed: definitive.
      if (offsetMs !== null) throw new PeerCallError('clock_skew', `${baseUrl} refused our request: ${formatClockOffset(offsetMs)} (allowed ±${DEFAULT_MAX_SKEW_MS / 1000} s); enable NTP on both machines`, true, offsetMs);
      const responderId = res.header(AUTH_HEADERS.node) ?? '';
      const addr = res.header(AUTH_HEADERS.addr) ?? '';
      const signed = verifyResponse({ key: opts.key, requestNonce: nonce, responderId, addr, status: res.status, body, signature: res.header(AUTH_HEADERS.signature) });
      // A 403 signed by the member is its owner's answer (remote settings refused), not a key mismatch.
      if (res.status === 401 || (res.status === 403 && !signed)) throw new PeerCallError('not_member', `${baseUrl} refused our mesh key (HTTP ${res.status})`);
      // 421: the agent that got the request is not at the address we dialled (a relay in between),
      // or is not the node we meant (the address now belongs to another one).
      if (res.status === 421) throw new PeerCallError('misdirected', `${baseUrl} is not the address of the agent that answered there (HTTP 421)`, true);
      if (!signed) throw new PeerCallError('not_member', `${baseUrl} did not prove it holds the mesh key`);
      if (addr !== target.dialled) throw new PeerCallError('misdirected', `${baseUrl} answered from ${addr}, not from the address dialled (${target.dialled})`, true);
      if (o.nodeId !== undefined && responderId !== o.nodeId) throw new PeerCallError('misdirected', `${baseUrl} answered as another node (${responderId.slice(0, 8)})`, true);
      if (res.status < 200 || res.status > 299) {
        // A signed refusal says why (settings refused, a bad change): pass its words on.
        let why = '';
        try {
          const m = (JSON.parse(new TextDecoder().decode(body)) as { error?: { message?: unknown } }).error?.message;
          if (typeof m === 'string') why = `: ${m.slice(0, 500)}`;
        } catch {
          // not JSON: the status is all there is
        }
        throw new PeerCallError('http', `${baseUrl} answered HTTP ${res.status}${why}`, res.status === 503, null, res.status);
      }
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw new PeerCallError('bad_response', `${baseUrl} sent something that is not JSON`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        throw new PeerCallError('bad_response', `${baseUrl} sent a malformed answer (${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'})`);
      }
      return { ...parsed.data, responderId, addr };
    } catch (err) {
      if (err instanceof PeerCallError) throw err;
      if (deadline.signal.reason instanceof TimeoutError) throw new PeerCallError('timeout', describeFetchError(deadline.signal.reason, baseUrl));
      throw new PeerCallError('unreachable', describeFetchError(err, baseUrl));
    } finally {
      deadline.cancel();
    }
  };
  return {
    ping: (baseUrl, o) => call(baseUrl, '/api/v1/peer/ping', peerPingSchema, o),
    fetchAdvert: (baseUrl, o) => call(baseUrl, '/api/v1/peer/advert', peerAdvertResponseSchema, o),
    settings: (baseUrl, nodeId, change) =>
      call(baseUrl, '/api/v1/peer/settings', settingsViewSchema, { nodeId, timeoutMs: REMOTE_SETTINGS_TIMEOUT_MS, ...(change === undefined ? {} : { method: 'PUT', json: change }) }),
  };
}
