/**
 * `POST /api/v1/bench` (issue 15): what it takes and what it answers, one schema per shape, read by
 * the route, the CLI and the tests alike.
 */
import { z } from 'zod';

export const benchBodySchema = z.strictObject({
  /** The Ollama model to measure; absent: the model most nodes have. */
  model: z.string().min(1).max(255).optional(),
});
export type BenchBody = z.infer<typeof benchBodySchema>;

const node = {
  nodeId: z.string(),
  name: z.string(),
  /** The node's first GPU, null for a CPU-only node or one whose hardware is unknown. */
  gpu: z.string().nullable(),
  model: z.string(),
};
const rate = z.number().min(0).nullable();

export const benchMeasuredSchema = z.object({
  ...node,
  /** Generated tokens per second: eval_count / eval_duration (PROTOCOLS.md §1, durations in ns). */
  genTokPerSec: rate,
  /** Prompt tokens per second: prompt_eval_count / prompt_eval_duration. */
  promptTokPerSec: rate,
  /** Request sent to the first streamed line (the first token), measured by this agent, through the mesh. */
  ttftMs: z.number().min(0).nullable(),
  /** The load time the warm-up call reported: the model's cold load when it was not in memory, near 0 when it was. */
  loadMs: z.number().min(0).nullable(),
});
export type BenchMeasured = z.infer<typeof benchMeasuredSchema>;

export const benchSkippedSchema = z.object({
  ...node,
  /** Why it was not measured: the placement's reason ("outside its window…"), or the failure. */
  skipped: z.string(),
});
export type BenchSkipped = z.infer<typeof benchSkippedSchema>;

export const benchNodeSchema = z.union([benchSkippedSchema, benchMeasuredSchema]);
export type BenchNode = z.infer<typeof benchNodeSchema>;

export const benchAnswerSchema = z.object({
  atMs: z.number(),
  model: z.string(),
  /** Every node that has the model, in the registry's order (this node first). */
  nodes: z.array(benchNodeSchema),
});
export type BenchAnswer = z.infer<typeof benchAnswerSchema>;

export const isSkipped = (n: BenchNode): n is BenchSkipped => 'skipped' in n;
