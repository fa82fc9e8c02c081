/**
 * The persisted state file (`state.json` in the data dir). One schema; a file that does not match
 * it is moved aside, never overwritten (agent/store.ts). Later sections (peers, history, overrides)
 * are added here as optional keys with defaults, so older files still load.
 */
import { z } from 'zod';

export const STATE_VERSION = 1;

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  identity: z.object({
    nodeId: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    createdAtMs: z.number().int().nonnegative(),
  }),
});
export type AgentState = z.infer<typeof stateSchema>;
