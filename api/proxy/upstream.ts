/**
 * One request to a target (targets.ts), on raw node:http: the origin comes from the target alone
 * and the routed path is appended as a string, so nothing a client sends can change the host
 * (issue 10 §2). A relayed request is signed for its recipient and the address dialled, and its
 * answer counts only when the recipient signed its head (peer-auth.ts): an answer from anything
 * else is a failed attempt, and the next candidate gets the request.
 */
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import { AUTH_HEADERS, signRequest, verifyRelayResponse } from '../../discovery/peer-auth.js';
import { appendHeaders, type HeaderList } from './headers.js';
import type { Target } from './targets.js';

/** What a relaying agent signs with: the mesh key and its own node id (null before start). */
export interface RelayCredentials {
  key: () => string | null;
  selfId: () => string;
  nowMs: () => number;
}

export interface UpstreamRequest {
  request: ClientRequest;
  /** The relayed answer came from the node meant (always true for local and direct targets). */
  authentic: (res: IncomingMessage) => boolean;
}

export function requestUpstream(
  target: Target,
  /** `headers`: the end-to-end fields to send (headers.ts), without Host and Content-Length. */
  opts: { method: string; path: string; headers: readonly string[]; body: Buffer; agent: http.Agent; relay: RelayCredentials },
): UpstreamRequest {
  const path = `${target.pathPrefix}${opts.path}`;
  // A list, not an object: node:http sends it as it is (headers.ts, issue 14).
  const headers: HeaderList = [...opts.headers, 'content-length', String(opts.body.length)];
  let nonce: string | null = null;
  const key = opts.relay.key();
  if (target.via === 'relay') {
    if (key === null || target.dialled === null) throw new Error('cannot relay before the mesh key is loaded');
    const signed = signRequest({ key, nodeId: opts.relay.selfId(), to: target.nodeId, dialled: target.dialled, method: opts.method, path, body: opts.body, nowMs: opts.relay.nowMs() });
    appendHeaders(headers, signed);
    nonce = signed[AUTH_HEADERS.nonce] ?? null;
    headers.push('host', target.dialled);
  } else {
    // Ollama bound to loopback refuses other Host headers (PROTOCOLS.md §1.1).
    headers.push('host', `localhost:${target.port}`);
  }
  const request = http.request({ host: target.host, port: target.port, method: opts.method, path, headers, agent: opts.agent });
  return {
    request,
    authentic: (res) =>
      target.via !== 'relay' ||
      (key !== null &&
        nonce !== null &&
        target.dialled !== null &&
        verifyRelayResponse({
          key,
          requestNonce: nonce,
          responderId: target.nodeId,
          addr: target.dialled,
          status: res.statusCode ?? 0,
          signature: headerOf(res, AUTH_HEADERS.signature),
        })),
  };
}

function headerOf(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name];
  return typeof v === 'string' ? v : null;
}

/** Headers of the relay's own signature, never passed on to a client. */
export const RELAY_RESPONSE_HEADERS: ReadonlySet<string> = new Set([AUTH_HEADERS.signature, AUTH_HEADERS.node, AUTH_HEADERS.addr]);
