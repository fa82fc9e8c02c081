/**
 * How fast a node is, as it advertises it and as `GET /api/v1/speed` answers (issue 15): one schema
 * per shape. The window that makes these figures, and the comparator, are in scheduler/speed.ts.
 */
import { z } from 'zod';

export const SPEED_SOURCES = ['bench', 'traffic'] as const;
export type SpeedSource = (typeof SPEED_SOURCES)[number];

/**
 * The window keeps the last 20 samples or the last 10 minutes, whichever holds fewer. 20 answers
 * make a median that one cold load or one two-token reply cannot move, and bound memory on a busy
 * node; 10 minutes bound staleness on a quiet one, where 20 answers may span a day, so a real change
 * (a game now sharing the GPU, a model partly offloaded to the CPU) replaces the old figure within
 * minutes. A window that would be empty keeps its newest sample: a node idle for ten minutes has not
 * become slower, and forgetting it would hand placement back to the default order every quiet night
 * (the figure's `atMs` says how old it is).
 */
export const WINDOW_MAX_SAMPLES = 20;
export const WINDOW_MAX_AGE_MS = 10 * 60_000;
/** Figures a node advertises at most, newest first: keeps the advert small (a few KiB). */
export const MAX_ADVERTISED_MODELS = 16;
/** Immich ML tasks (CLIP visual, textual, faces, OCR) with some room for new ones. */
export const MAX_ADVERTISED_TASKS = 8;
/** Windows kept at most (node × model): a bound on memory whatever the traffic names. */
export const MAX_WINDOWS = 256;
/** Default hysteresis: a challenger must be more than 15 % faster to displace the incumbent. */
export const DEFAULT_MARGIN_PCT = 15;

export const MAX_SUBJECT = 255;

/** One measured answer. Metrics a path cannot measure are null (the OpenAI path has no load time). */
export interface SpeedSample {
  atMs: number;
  source: SpeedSource;
  /** Generated tokens per second (eval_count / eval_duration). */
  genTokPerSec: number | null;
  /** Prompt tokens per second (prompt_eval_count / prompt_eval_duration). */
  promptTokPerSec: number | null;
  /** Request sent to the first byte carrying content (includes load and prompt evaluation). */
  ttftMs: number | null;
  /** Model load time reported by the service (0 when it was already loaded). */
  loadMs: number | null;
  /** Whole answer time: the figure for Immich ML /predict, per task. */
  latencyMs: number | null;
}

const rate = z.number().min(0).max(1_000_000).nullable();
const durationMs = z.number().min(0).max(24 * 3_600_000).nullable();

/** One advertised figure: medians over the window. The one schema for this shape (DESIGN.md §6.5). */
export const speedFigureSchema = z.strictObject({
  genTokPerSec: rate,
  promptTokPerSec: rate,
  ttftMs: durationMs,
  loadMs: durationMs,
  /** Optional so Ollama figures stay compact; Immich ML tasks carry it. */
  latencyMs: durationMs.optional(),
  /** Samples behind the figure. */
  n: z.number().int().min(1).max(WINDOW_MAX_SAMPLES),
  /** The newest sample's time on the measuring node's clock (peers' clocks may differ by seconds). */
  atMs: z.number().int().min(0),
  source: z.enum(SPEED_SOURCES),
});
export type SpeedFigure = z.infer<typeof speedFigureSchema>;

const cappedRecord = (max: number, what: string) =>
  z
    .record(z.string().min(1).max(MAX_SUBJECT), speedFigureSchema)
    .refine((r) => Object.keys(r).length <= max, `at most ${max} ${what}`);

/** What a node advertises about its own speed: per Ollama model and per Immich ML task. */
export const advertisedSpeedSchema = z.strictObject({
  models: cappedRecord(MAX_ADVERTISED_MODELS, 'models').default({}),
  tasks: cappedRecord(MAX_ADVERTISED_TASKS, 'tasks').default({}),
});
export type AdvertisedSpeed = z.infer<typeof advertisedSpeedSchema>;

/** `GET /api/v1/speed`: every node's figures per model (and Immich ML task), with their source and age. */
export const speedAnswerSchema = z.object({
  atMs: z.number().int().min(0),
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      name: z.string(),
      /** The node's first GPU, or null for a CPU-only node (and a plain endpoint: unknown). */
      gpu: z.string().nullable(),
      speed: advertisedSpeedSchema,
    }),
  ),
});
export type SpeedAnswer = z.infer<typeof speedAnswerSchema>;
