/**
 * The shapes the registry keeps and serves (`GET /api/v1/nodes`), one zod schema each, so the
 * persisted copy in state.json is parsed with the same rules as everything else.
 */
import { z } from 'zod';
import { nodeAdvertSchema } from './advert.js';

/**
 * Where we learnt of a node: ourselves, an mDNS advert, the tailnet, a static agent URL, a plain
 * service endpoint, or another member (its signed request reached us, or its advert lists the node;
 * verified directly either way, issue 17).
 */
export const peerSourceSchema = z.enum(['self', 'mdns', 'tailnet', 'static', 'endpoint', 'peer']);
export type PeerSource = z.infer<typeof peerSourceSchema>;

export const nodeStateSchema = z.enum(['up', 'suspect', 'down']);
export type NodeState = z.infer<typeof nodeStateSchema>;

/** One way to reach a node's agent, e.g. its LAN address from mDNS or its 100.x tailnet address. */
export const peerPathSchema = z.object({
  source: peerSourceSchema,
  /** Base URL of the agent (or of the service, for `endpoint` nodes), without a trailing slash. */
  url: z.string(),
  /** Result of the last health check on this path: null before the first one. */
  ok: z.boolean().nullable(),
  lastOkMs: z.number().nullable(),
  lastError: z.string().nullable(),
  /**
   * The node answered on this path itself, over the address proof of issue 10 §3. Paths saved by
   * agents from before that proof lack it and are not restored: they may lead through a relay.
   */
  proven: z.boolean().optional(),
  /** The `ip:port` the node proved it answers on over this path: where relayed requests go. */
  addr: z.string().optional(),
});
export type PeerPath = z.infer<typeof peerPathSchema>;

export const nodeRecordSchema = z.object({
  nodeId: z.string(),
  name: z.string(),
  state: nodeStateSchema,
  sources: z.array(peerSourceSchema),
  /** Host addresses we reach the node on (from its paths), for display and Wake-on-LAN. */
  addresses: z.array(z.string()),
  /** MAC addresses from its last advert: Wake-on-LAN needs them while it sleeps. */
  macs: z.array(z.string()),
  lastSeenMs: z.number().nullable(),
  /** When it went down (null while up). */
  downSinceMs: z.number().nullable(),
  /** The advert's change counter as last seen; a different value triggers a re-fetch. */
  seq: z.number().int().nonnegative(),
  /** The path requests go to now: the preferred healthy one. */
  activeUrl: z.string().nullable(),
  paths: z.array(peerPathSchema),
  advert: nodeAdvertSchema.nullable(),
  /**
   * The node's clock minus ours, in ms, while it refuses our signed requests for their time
   * (discovery/clock-skew.ts); absent otherwise. Its answers prove it is up: say "clock off by
   * +300 s", never "asleep" (issue 11).
   */
  clockOffsetMs: z.number().optional(),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;
