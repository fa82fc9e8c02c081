/**
 * Calls to other agents over the peer protocol: every request is signed with the mesh key and every
 * answer must carry the peer's signature, so both sides prove they hold the key without it crossing
 * the wire (discovery/peer-auth.ts). Every call has a timeout, and bodies are size-limited, so an
 * unreachable, hanging or hostile peer never delays the others or exhausts memory.
 */
import { z } from 'zod';
import { timeoutSignal, TimeoutError, type Clock } from '../agent/clock.js';
import { AgentError } from '../agent/errors.js';
import { describeFetchError } from '../agent/fetch-error.js';
import { nodeAdvertSchema, type NodeAdvert } from '../agent/node-advert.js';
import { formatClockOffset, peerClockOffsetMs } from './clock-skew.js';
import { AUTH_HEADERS, DEFAULT_MAX_SKEW_MS, signRequest, verifyResponse } from './peer-auth.js';

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
  constructor(code: 'unreachable' | 'refused' | 'timeout' | 'not_member' | 'clock_skew' | 'bad_response' | 'http', message: string, definitive = false, clockOffsetMs: number | null = null) {
    super(`peer_${code}`, message, { httpStatus: 502 });
    this.definitive = definitive;
    this.clockOffsetMs = clockOffsetMs;
  }
}

export interface PeerClient {
  ping(baseUrl: string, signal?: AbortSignal): Promise<PeerPing>;
  fetchAdvert(baseUrl: string, signal?: AbortSignal): Promise<{ seq: number; advert: NodeAdvert }>;
}

export function createPeerClient(opts: { key: string; selfId: string; fetch: typeof fetch; clock: Clock; timeoutMs: number }): PeerClient {
  const call = async <T>(baseUrl: string, path: string, schema: z.ZodType<T>, parent?: AbortSignal): Promise<T> => {
    const headers = signRequest({ key: opts.key, nodeId: opts.selfId, method: 'GET', path, nowMs: opts.clock.nowMs() });
    const nonce = headers[AUTH_HEADERS.nonce] as string;
    const deadline = timeoutSignal(opts.clock, opts.timeoutMs, parent);
    const url = `${baseUrl}${path}`;
    try {
      let res: Response;
      try {
        res = await opts.fetch(url, { headers, signal: deadline.signal, redirect: 'error' });
      } catch (err) {
        const reason = deadline.signal.reason instanceof TimeoutError ? deadline.signal.reason : err;
        const code = ((err as { cause?: { code?: unknown } }).cause?.code as string | undefined) ?? '';
        if (code === 'ECONNREFUSED') throw new PeerCallError('refused', describeFetchError(err, baseUrl), true);
        if (reason instanceof TimeoutError) throw new PeerCallError('timeout', describeFetchError(reason, baseUrl));
        throw new PeerCallError('unreachable', describeFetchError(err, baseUrl));
      }
      const body = await readLimited(res, MAX_PEER_BODY_BYTES);
      const offsetMs = res.status === 401 ? peerClockOffsetMs(new TextDecoder().decode(body)) : null;
      // The peer answers, so it is certainly up but will refuse us until a clock is fixed: definitive.
      if (offsetMs !== null) throw new PeerCallError('clock_skew', `${baseUrl} refused our request: ${formatClockOffset(offsetMs)} (allowed ±${DEFAULT_MAX_SKEW_MS / 1000} s); enable NTP on both machines`, true, offsetMs);
      if (res.status === 401 || res.status === 403) throw new PeerCallError('not_member', `${baseUrl} refused our mesh key (HTTP ${res.status})`);
      if (!verifyResponse({ key: opts.key, requestNonce: nonce, status: res.status, body, signature: res.headers.get(AUTH_HEADERS.signature) })) {
        throw new PeerCallError('not_member', `${baseUrl} did not prove it holds the mesh key`);
      }
      if (!res.ok) throw new PeerCallError('http', `${baseUrl} answered HTTP ${res.status}`, res.status === 503);
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
      return parsed.data;
    } catch (err) {
      if (err instanceof PeerCallError) throw err;
      if (deadline.signal.reason instanceof TimeoutError) throw new PeerCallError('timeout', describeFetchError(deadline.signal.reason, baseUrl));
      throw new PeerCallError('unreachable', describeFetchError(err, baseUrl));
    } finally {
      deadline.cancel();
    }
  };
  return {
    ping: (baseUrl, signal) => call(baseUrl, '/api/v1/peer/ping', peerPingSchema, signal),
    fetchAdvert: (baseUrl, signal) => call(baseUrl, '/api/v1/peer/advert', peerAdvertResponseSchema, signal),
  };
}

/** Reads a body, refusing (and cancelling the stream) once it passes `maxBytes`. */
async function readLimited(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new PeerCallError('bad_response', `answer too large (${declared} bytes, limit ${maxBytes})`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new PeerCallError('bad_response', `answer too large (over ${maxBytes} bytes)`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
