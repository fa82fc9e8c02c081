/**
 * The parts of Tailscale's `ipnstate.Status` that tailnet discovery reads, and the pure choice of
 * which peers to probe. The same JSON comes from `GET /localapi/v0/status` and from
 * `tailscale status --json` (PROTOCOLS.md §4.1, §4.3). The CLI calls the format "subject to change",
 * so the schema names only the fields we use and lets every other field through (looseObject).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { AgentError } from '../agent/kernel/errors.js';

/** `ipn.State` strings as they appear in `BackendState` (PROTOCOLS.md §4.3). */
export const tailscaleBackendStates = ['NoState', 'InUseOtherUser', 'NeedsLogin', 'NeedsMachineAuth', 'Stopped', 'Starting', 'Running'] as const;

/**
 * One `PeerStatus`. Go writes every field without `omitempty` even when empty, so a missing one
 * means the format changed and should fail loudly; a nil slice (`TailscaleIPs`) is written as `null`.
 * `Tags` and `ShareeNode` are `omitempty` (PROTOCOLS.md §4.3).
 */
export const tailscalePeerSchema = z.looseObject({
  ID: z.string(),
  HostName: z.string(),
  /** FQDN with a trailing dot, or '' when the peer has no MagicDNS name. */
  DNSName: z.string(),
  OS: z.string(),
  TailscaleIPs: z.array(z.string()).nullable(),
  Tags: z.array(z.string()).optional(),
  /** Connected to the control plane: the reachability hint §4.3 recommends. */
  Online: z.boolean(),
  ShareeNode: z.boolean().optional(),
});
export type TailscalePeer = z.infer<typeof tailscalePeerSchema>;

export const tailscaleStatusSchema = z.looseObject({
  /** A plain string: a state added by a later Tailscale must not make the whole status malformed. */
  BackendState: z.string(),
  /** `null` when logged out (PROTOCOLS.md §4.3). */
  Self: tailscalePeerSchema.nullish(),
  /** Keyed by `nodekey:<hex>`; `null` (nil map) when logged out, absent with `?peers=false`. */
  Peer: z.record(z.string(), tailscalePeerSchema).nullish(),
});
export type TailscaleStatus = z.infer<typeof tailscaleStatusSchema>;

/** The status could not be read as JSON or does not have the shape above. */
export class TailscaleStatusMalformedError extends AgentError {
  constructor(message: string) {
    super('tailscale_status_malformed', message, { httpStatus: 502 });
  }
}

/**
 * Validates raw status JSON (already parsed from text).
 *
 * @throws TailscaleStatusMalformedError naming the first problems, e.g.
 *   `tailscale status is malformed: Peer.nodekey:ab12.Online: Invalid input: expected boolean, received undefined`
 * @example
 * const status = parseTailscaleStatus(JSON.parse(stdout));
 */
export function parseTailscaleStatus(json: unknown): TailscaleStatus {
  const result = tailscaleStatusSchema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  const more = result.error.issues.length > 3 ? ` (+${result.error.issues.length - 3} more)` : '';
  throw new TailscaleStatusMalformedError(`tailscale status is malformed: ${issues.join('; ')}${more}`);
}

export interface TailnetFilter {
  /** Keep only peers carrying ANY of these ACL tags; empty keeps all. `ollama` means `tag:ollama`. */
  tags: readonly string[];
  /** Glob on HostName or DNSName (`*` = any run of characters), case-insensitive, whole name. */
  hostnamePattern: string | null;
}

export interface TailnetPeer {
  /** Stable node id (`PeerStatus.ID`). */
  id: string;
  hostName: string;
  /** MagicDNS name without the trailing dot; '' when the peer has none. */
  dnsName: string;
  ipv4: string | null;
  ipv6: string | null;
  os: string;
}

/**
 * The peers worth probing for an agent: online, not this node, not a sharee node, and matching the
 * filter; sorted by id so equal sets compare equal. Returns [] unless `BackendState` is `Running`
 * (the caller reports the state).
 *
 * @example
 * selectTailnetPeers(status, { tags: ['tag:ollama'], hostnamePattern: 'gpu-*' });
 * // [{ id: 'nXyZ2CNTRL', hostName: 'gpu-2', dnsName: 'gpu-2.tail1a2b3c.ts.net', ipv4: '100.90.1.7', ipv6: 'fd7a:…', os: 'linux' }]
 */
export function selectTailnetPeers(status: TailscaleStatus, filter: TailnetFilter): TailnetPeer[] {
  if (status.BackendState !== 'Running') return [];
  const selfId = status.Self?.ID;
  const wanted = filter.tags.map((t) => (t.startsWith('tag:') ? t : `tag:${t}`));
  const pattern = filter.hostnamePattern === null ? null : globToRegExp(stripTrailingDot(filter.hostnamePattern));
  const peers: TailnetPeer[] = [];
  for (const peer of Object.values(status.Peer ?? {})) {
    // Sharee nodes belong to users we shared a node with; `tailscale status` hides them too
    // (cmd/tailscale/cli/status.go, "if ps.ShareeNode { continue }").
    if (!peer.Online || peer.ShareeNode === true || peer.ID === selfId) continue;
    if (wanted.length > 0 && !(peer.Tags ?? []).some((t) => wanted.includes(t))) continue;
    const dnsName = stripTrailingDot(peer.DNSName);
    if (pattern && !pattern.test(peer.HostName) && !pattern.test(dnsName)) continue;
    // "IPv4 100.x first in practice … don't rely on order" (PROTOCOLS.md §4.3): pick by family.
    const ips = peer.TailscaleIPs ?? [];
    peers.push({
      id: peer.ID,
      hostName: peer.HostName,
      dnsName,
      ipv4: ips.find((ip) => isIPv4(ip)) ?? null,
      ipv6: ips.find((ip) => isIPv6(ip)) ?? null,
      os: peer.OS,
    });
  }
  return peers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function stripTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}
