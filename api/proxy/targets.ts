/**
 * Where a routed request goes (issue 10 §1, §2, §6). Targets are nodes of the registry, never URLs
 * from a client:
 * - this node: its own service, at the URL in its config (`local`);
 * - a peer: that peer's agent, at the address it proved it answers on (peer-auth.ts), which forwards
 *   the request to its own loopback service (`relay`), so Ollama and Immich ML stay bound to 127.0.0.1;
 * - a peer whose owner deliberately exposed a service (`services.<kind>.direct`): the service itself,
 *   on the peer's proven address and the service's port (`direct`);
 * - a plain endpoint from config (a machine without the agent): the configured URL (`direct`).
 */
import type { NodeRecord } from '../../discovery/types.js';
import type { KindId } from '../../agent/kernel/kinds.js';
import { urlHost, urlPort } from '../../discovery/peer-address.js';

export interface Target {
  nodeId: string;
  name: string;
  via: 'local' | 'relay' | 'direct';
  /** The host (an IP literal or a configured name) and port to connect to. */
  host: string;
  port: number;
  /** Put before the routed path: the service's own base path, or the peer's relay route. */
  pathPrefix: string;
  /** `host:port` the relay request is signed for (relay only). */
  dialled: string | null;
}

/** The route on a peer's agent that forwards to its own service of a kind. */
export const RELAY_PREFIX = '/api/v1/peer/relay';

function serviceOf(node: NodeRecord, kind: KindId) {
  return node.advert?.services[kind];
}

function fromUrl(raw: string): { host: string; port: number; pathPrefix: string } | null {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:') return null;
    return { host: urlHost(url), port: urlPort(url), pathPrefix: url.pathname.replace(/\/+$/, '') };
  } catch {
    return null;
  }
}

/** The proven `host:port` of the node's active path (peer-auth.ts address proof). */
function provenAddr(node: NodeRecord): string | null {
  const active = node.paths.find((p) => p.url === node.activeUrl && p.ok === true);
  return active?.addr ?? null;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/** This node's own service at `localUrl` (from its config; null: the kind is not enabled here). */
export function localTarget(node: { nodeId: string; name: string }, localUrl: string | null): Target | null {
  const local = localUrl === null ? null : fromUrl(localUrl);
  return local ? { nodeId: node.nodeId, name: node.name, via: 'local', ...local, dialled: null } : null;
}

/**
 * @param localUrl this node's own service URL of the kind, from its config (null: not enabled).
 */
export function targetFor(node: NodeRecord, kind: KindId, selfId: string, localUrl: string | null): Target | null {
  const base = { nodeId: node.nodeId, name: node.name };
  if (node.nodeId === selfId) return localTarget(base, localUrl);
  const service = serviceOf(node, kind);
  if (!service) return null;
  if (node.sources.includes('endpoint')) {
    // A plain endpoint: its advert was made here from config, so its URL is the configured one.
    const direct = fromUrl(service.url);
    return direct ? { ...base, via: 'direct', ...direct, dialled: null } : null;
  }
  const addr = provenAddr(node);
  if (!addr) return null;
  const agent = splitHostPort(addr);
  if ('direct' in service && service.direct === true) {
    const exposed = fromUrl(service.url);
    return exposed ? { ...base, via: 'direct', host: agent.host, port: exposed.port, pathPrefix: exposed.pathPrefix, dialled: null } : null;
  }
  return { ...base, via: 'relay', host: agent.host, port: agent.port, pathPrefix: `${RELAY_PREFIX}/${kind}`, dialled: addr };
}
