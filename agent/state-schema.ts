/**
 * The persisted state file (`state.json` in the data dir). One schema; a file that does not match
 * it is moved aside, never overwritten (agent/store.ts). Later sections (peers, history, overrides)
 * are added here as optional keys with defaults, so older files still load.
 */
import { z } from 'zod';
import { serviceEndpointSchema } from '../discovery/endpoint-schema.js';
import { httpUrlSchema } from './kernel/shapes/http-url.js';
import { nodeRecordSchema } from '../discovery/types.js';
import { historyEntrySchema } from '../scheduler/history-schema.js';
import { settingsOverlaySchema } from './settings-overlay.js';
import { offerOverrideForSchema, offerOverrideSchema, pinSchema } from './kernel/shapes/override.js';

export const STATE_VERSION = 1;

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  identity: z.object({
    nodeId: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    createdAtMs: z.number().int().nonnegative(),
  }),
  /** The peers known at the last save: a restarted agent knows them (and their MACs) at once. */
  peers: z.array(nodeRecordSchema).default([]),
  /** Static peers and endpoints added through the API (the config file's own are not copied here). */
  staticPeers: z
    .object({
      urls: z.array(httpUrlSchema).default([]),
      endpoints: z.array(serviceEndpointSchema).default([]),
    })
    .prefault({}),
  /** Manual overrides: this node's own "offer now" / "take out", and pins of a kind to a node. */
  overrides: z
    .object({
      offer: offerOverrideSchema.nullable().default(null),
      pins: z.array(pinSchema).default([]),
      /** Offer overrides set here, for this node or another, one per node (advertised: issue 12). */
      offerFor: z.array(offerOverrideForSchema).default([]),
    })
    .prefault({}),
  /** Placement changes and actions, newest last, bounded (HISTORY_LIMIT). */
  history: z.array(historyEntrySchema).default([]),
  /** Settings saved from the web UI: only the keys changed there, applied over the config file (agent/settings-overlay.ts). */
  settings: settingsOverlaySchema.default({}),
  /** Immich queues this agent paused: only these are ever resumed by it. */
  immichPausedByUs: z.array(z.string()).default([]),
});
export type AgentState = z.infer<typeof stateSchema>;
