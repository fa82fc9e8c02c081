/**
 * Where a routed request goes: the elected node's service URL, made reachable from here. A peer
 * advertises its service as it sees it (often `http://127.0.0.1:11434`); from another machine the
 * host must be the peer's own address, the one our health checks reach it on.
 */
import type { NodeRecord } from '../../discovery/types.js';
import type { ServiceKind } from '../../scheduler/offer-schema.js';

export interface Target {
  nodeId: string;
  name: string;
  /** Base URL of the service, without a trailing slash. */
  baseUrl: string;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', '[::]', '::']);

export function targetFor(node: NodeRecord, kind: ServiceKind, selfId: string): Target | null {
  const service = kind === 'ollama' ? node.advert?.services.ollama : node.advert?.services.immichMl;
  if (!service) return null;
  const url = new URL(service.url);
  if (node.nodeId !== selfId && LOCAL_HOSTS.has(url.hostname)) {
    if (!node.activeUrl) return null;
    url.hostname = new URL(node.activeUrl).hostname;
  }
  return { nodeId: node.nodeId, name: node.name, baseUrl: url.toString().replace(/\/+$/, '') };
}
