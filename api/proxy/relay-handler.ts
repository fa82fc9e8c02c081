/**
 * The peer side of a relay (issue 10 §1): `/api/v1/peer/relay/<kind>/<path>` on the agent port. A
 * request signed with the mesh key, addressed to this node and dialled at the address it arrived on
 * (peer-auth.ts) is forwarded to this node's own service of that kind — on loopback, where it stays
 * bound — and the answer streams back byte for byte, its head signed so the relaying agent knows
 * this node answered. The relay never routes again: the only upstream is this node's own service,
 * so no request can loop between agents, and a client path can only ever name a path on it.
 */
import type http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Clock } from '../../agent/kernel/clock.js';
import type { Logger } from '../../agent/kernel/log.js';
import { socketLocal } from '../../discovery/peer-address.js';
import { AUTH_HEADERS, header, signRelayResponse, type RequestVerifier } from '../../discovery/peer-auth.js';
import { KINDS, type KindId } from '../../agent/kernel/kinds.js';
import { finishExhausted, forwardEvent, forwardWithFailover, readBody } from './forward.js';
import { kindErrorBody, sendKindError } from './kind-errors.js';
import type { ProxyStats } from './stats.js';
import { localTarget, type Target } from './targets.js';
import type { SpeedMeter } from './speed-meter.js';
import type { RelayCredentials } from './upstream.js';
import type { PeerSighting } from '../../discovery/discovery.js';
import { sightingOf } from '../routes/peer.js';

export interface RelayHandlerDeps {
  verifier: () => RequestVerifier | null;
  relay: RelayCredentials;
  selfName: () => string;
  /** This node's own service URL of a kind, from its config; null when the kind is not enabled. */
  localUrl: (kind: KindId) => string | null;
  firstByteTimeoutMs: (kind: KindId) => number;
  maxBodyBytes: number;
  agent: http.Agent;
  clock: Clock;
  stats: ProxyStats;
  log: Logger;
  /** A member's verified request: a sign of life (discovery, issue 17). */
  sighted?: (s: PeerSighting) => void;
  /** Measures this node's own answers (issue 15): the relay's target is always this node. */
  speed?: SpeedMeter;
}

export function createRelayHandler(deps: RelayHandlerDeps) {
  // The local target parsed once per configured URL, not per request (a `new URL` each, issue 14).
  let lastTarget: { url: string | null; name: string; target: Target | null } | null = null;
  const targetOf = (self: { nodeId: string; name: string }, url: string | null): Target | null => {
    if (lastTarget?.url !== url || lastTarget.name !== self.name || lastTarget.target?.nodeId !== self.nodeId) lastTarget = { url, name: self.name, target: localTarget(self, url) };
    return lastTarget.target;
  };
  return async function relay(req: IncomingMessage, res: ServerResponse, kind: KindId, path: string): Promise<void> {
    const bare = path.split('?')[0] ?? path;
    const local = socketLocal(req.socket);
    const verifier = deps.verifier();
    const key = deps.relay.key();
    const refuse = (status: number, message: string): void => sendKindError(res, kind, bare, status, message);
    if (verifier === null || key === null) return refuse(503, 'the agent is starting');
    const body = await readBody(req, deps.maxBodyBytes);
    if (body === null) return refuse(413, `request body larger than ${deps.maxBodyBytes} bytes`);
    const checked = verifier.verify({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, local });
    if (!checked.ok) {
      deps.log.once(`relay-refused:${checked.code}:${String(req.headers[AUTH_HEADERS.node] ?? '?')}`, 'warn', 'refused a relayed request', {
        reason: checked.reason,
        node: req.headers[AUTH_HEADERS.node],
        client: req.socket.remoteAddress,
      });
      return refuse(checked.code === 'misdirected' ? 421 : 401, `not a member of this mesh: ${checked.reason}`);
    }
    const sighted = deps.sighted;
    if (sighted) {
      // A sign of life for discovery, read now (the socket may be gone later) and handed over once
      // the request is on its way: it need not cost the answer's first byte (issue 10's budget).
      const sighting = sightingOf(checked.nodeId, req, (name) => header(req.headers, name));
      setImmediate(() => sighted(sighting));
    }
    // Signed so the relaying agent can tell this node's answer from anything in between.
    const answerHeaders = (status: number): OutgoingHttpHeaders => ({
      [AUTH_HEADERS.node]: deps.relay.selfId(),
      [AUTH_HEADERS.addr]: local,
      [AUTH_HEADERS.signature]: signRelayResponse({ key, requestNonce: checked.nonce, responderId: deps.relay.selfId(), addr: local, status }),
    });
    const send = (status: number, message: string): void => sendKindError(res, kind, bare, status, message, { 'x-inference-mesh-node': deps.selfName(), ...answerHeaders(status) });
    const self = { nodeId: deps.relay.selfId(), name: deps.selfName() };
    const target = targetOf(self, deps.localUrl(kind));
    if (!target) return send(503, `${deps.selfName()} does not offer ${KINDS[kind].label}`);

    const t0 = deps.clock.monotonicMs();
    const result = await forwardWithFailover({
      req,
      res,
      attempts: [{ target, path, body, rewrite: null, headers: { 'x-inference-mesh-node': self.name } }],
      clock: deps.clock,
      agent: deps.agent,
      firstByteTimeoutMs: deps.firstByteTimeoutMs(kind),
      // One attempt: every answer goes back as it is, and the relaying agent decides on failover.
      retryable: () => false,
      errorFrame: KINDS[kind].errorFrame,
      onFailover: (_t, reason) => deps.log.warn('the local service did not answer a relayed request', { kind, reason }),
      relay: deps.relay,
      answerHeaders,
      ...(deps.speed ? { meter: deps.speed({ kind, path: bare, headers: req.headers, body }) } : {}),
    });
    finishExhausted(res, result, () => kindErrorBody(kind, bare, `${self.name}'s ${KINDS[kind].label} did not answer: ${result.reason ?? 'no answer'}`, 502), (status) => ({
      'x-inference-mesh-node': self.name,
      ...answerHeaders(status),
    }));
    deps.stats.record(forwardEvent(kind, result, res, { totalMs: deps.clock.monotonicMs() - t0, path: bare, model: null, substitutedModel: null }));
  };
}
