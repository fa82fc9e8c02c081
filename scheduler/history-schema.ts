import { z } from 'zod';
import { kindIdSchema } from '../agent/kernel/kinds.js';

/** One line of the placement history (issue 4 §6): a placement change or an action, with its reason. */
export const historyEntrySchema = z.object({
  atMs: z.number(),
  type: z.enum(['placement', 'action']),
  kind: kindIdSchema.nullable(),
  /** The node the entry is about (the elected node, or the node acted on). */
  nodeId: z.string().nullable(),
  nodeName: z.string().nullable(),
  /** For actions: what was done. */
  action: z.enum(['unload', 'warm-up', 'pause-queues', 'resume-queues', 'wake']).nullable(),
  status: z.enum(['ok', 'failed', 'retrying', 'gave-up', 'info']),
  message: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** Oldest entries are dropped beyond this. */
export const HISTORY_LIMIT = 2000;

/** Where placements and actions are recorded (agent/history.ts keeps them in state.json). */
export interface History {
  add(entry: Omit<HistoryEntry, 'atMs'> & { atMs?: number }): void;
  list(opts?: { sinceMs?: number; limit?: number }): HistoryEntry[];
}
