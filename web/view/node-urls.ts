/**
 * The setup page's "pick a discovered computer": where that computer's Ollama and Immich ML are
 * reachable from here. An agent advertises its services as it probes them, usually on loopback
 * (http://127.0.0.1:11434 on that machine), so the loopback host is swapped for the address we
 * reach the node on; plain endpoints already carry a reachable URL.
 */
import { perKind, type KindId } from '../../agent/kernel/kinds.js';
import type { NodeRecord } from '../../discovery/types.js';

export interface NodeChoice {
  nodeId: string;
  name: string;
  /** The host shown next to the name. */
  host: string | null;
  /** Base URL of its agent, for "Test connection" with kind "agent"; null for a plain endpoint. */
  agentUrl: string | null;
  /** Each kind's service URL on that node, with a loopback host replaced by the node's. */
  urls: Record<KindId, string | null>;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

/** `url` with a loopback host replaced by `host` (as URL.host writes it: IPv6 in brackets). */
export function reachableUrl(url: string | undefined, host: string | null): string | null {
  if (url === undefined) return null;
  try {
    const u = new URL(url);
    if (isLoopback(u.hostname)) {
      if (host === null) return null;
      u.hostname = host;
    }
    return u.toString().replace(/\/$/, '');
  } catch {
    return null;
  }
}

function hostOf(node: NodeRecord): string | null {
  if (node.activeUrl !== null) {
    try {
      return new URL(node.activeUrl).hostname;
    } catch {
      // fall through to the addresses
    }
  }
  const a = node.addresses[0];
  return a === undefined ? null : a.includes(':') ? `[${a}]` : a;
}

/** Every other node we could point this agent's services at. */
export function nodeChoices(nodes: readonly NodeRecord[]): NodeChoice[] {
  return nodes
    .filter((n) => !n.sources.includes('self'))
    .map((n) => {
      const host = hostOf(n);
      const plainEndpoint = n.sources.every((s) => s === 'endpoint');
      return {
        nodeId: n.nodeId,
        name: n.name,
        host,
        agentUrl: plainEndpoint ? null : n.activeUrl,
        urls: perKind((kind) => reachableUrl(n.advert?.services[kind]?.url, host)),
      };
    });
}
