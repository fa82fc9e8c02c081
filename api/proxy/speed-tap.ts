/**
 * A passive speed meter for Ollama answers (issue 15): fed the answer bytes as they stream, it
 * reads the figures Ollama already sends and notes when the first content arrives. Formats
 * (PROTOCOLS.md §1.3, §1.4, §1.5, §1.10):
 * - native NDJSON (`/api/generate`, `/api/chat` streaming) and the single JSON object of
 *   `"stream": false`: `model`, `eval_count`, `eval_duration`, `prompt_eval_count`,
 *   `prompt_eval_duration`, `load_duration`, `total_duration` (nanoseconds, omitted when zero);
 * - OpenAI-compatible `/v1/chat/completions` and `/v1/completions`, as one JSON object with `usage`
 *   or as SSE `data:` events where the last chunk may carry `usage` (`stream_options.include_usage`).
 *
 * It never holds the answer: record-scanner.ts reads the bytes keeping only the nesting, the key it
 * is reading and a short wanted value, so memory stays under a few KiB whatever the line length (the
 * final `/api/generate` line carries `context`, which grows with num_ctx). Garbage or oversize
 * records are dropped quietly and reading goes on at the next line; it never throws. Metrics are
 * read at the top level only (and `usage.*`), so text in `response` that looks like one is not.
 *
 * How it is wired (speed-meter.ts, agent/speed-book.ts): the serving node's agent creates one tap per inference answer of
 * its own Ollama in the relay and direct paths (relay-handler.ts / ollama-handler.ts when the target
 * is local), calls `push` with each chunk it forwards and `end` when the answer ends, then records
 * `speedSampleOf(reading)` in scheduler/speed.ts under its own node id. Time enters as `nowMs`
 * (the agent passes `clock.monotonicMs`).
 */
import type { SpeedSample, SpeedSource } from '../../agent/kernel/shapes/speed.js';
import { createRecordScanner } from './record-scanner.js';

/** Inference paths (below the `/ollama` prefix) whose answers carry speed figures. */
export const SPEED_TAP_PATHS: ReadonlySet<string> = new Set(['/api/generate', '/api/chat', '/v1/chat/completions', '/v1/completions']);

/** What one answer said about speed. Counts and durations the answer did not carry are null. */
export interface SpeedReading {
  format: 'json' | 'sse' | null;
  model: string | null;
  evalCount: number | null;
  evalDurationNs: number | null;
  promptEvalCount: number | null;
  promptEvalDurationNs: number | null;
  loadDurationNs: number | null;
  totalDurationNs: number | null;
  startedAtMs: number;
  endedAtMs: number;
  /** First byte that carried generated text (or thinking), as `nowMs` saw it. */
  firstContentAtMs: number | null;
  /** OpenAI SSE only (null for native answers, which carry Ollama's own timings). */
  lastContentAtMs: number | null;
  ttftMs: number | null;
  /**
   * OpenAI SSE only: events that carried content, the token count when no usage was sent. Null for
   * native answers, whose token lines after the first are not read (see skipLine below).
   */
  contentRecords: number | null;
  /** Complete records read (1 for a "stream": false answer, where TTFT is the whole answer). */
  records: number;
  /** An `{"error": ...}` record was seen (a failed or cut answer is no measurement). */
  errored: boolean;
  /** Records dropped as garbage or oversize. */
  droppedRecords: number;
}

export interface SpeedTap {
  push(chunk: Uint8Array): void;
  /** Ends the answer; later pushes are ignored. Idempotent. */
  end(): SpeedReading;
}

export interface SpeedTapOptions {
  nowMs: () => number;
  /** When the request went upstream; default: nowMs() at creation. */
  startedAtMs?: number;
}

/**
 * How every token line of a native answer opens and closes (PROTOCOLS.md §1.3: Go's encoding/json
 * writes the response struct's fields in order, `model` first and `done` last, with no spaces).
 */
const TOKEN_LINE_HEAD = Buffer.from('{"model":');
const TOKEN_LINE_TAIL = Buffer.from('"done":false}');

/** chunk[at, at + bytes.length) holds exactly `bytes`. */
function bytesAt(chunk: Uint8Array, at: number, bytes: Uint8Array): boolean {
  if (at < 0 || at + bytes.length > chunk.length) return false;
  for (let i = 0; i < bytes.length; i += 1) if (chunk[at + i] !== bytes[i]) return false;
  return true;
}

type Numeric = 'evalCount' | 'evalDurationNs' | 'promptEvalCount' | 'promptEvalDurationNs' | 'loadDurationNs' | 'totalDurationNs';
const NUMERIC_PATHS: ReadonlyMap<string, Numeric> = new Map([
  ['eval_count', 'evalCount'],
  ['eval_duration', 'evalDurationNs'],
  ['prompt_eval_count', 'promptEvalCount'],
  ['prompt_eval_duration', 'promptEvalDurationNs'],
  ['load_duration', 'loadDurationNs'],
  ['total_duration', 'totalDurationNs'],
  ['usage.completion_tokens', 'evalCount'],
  ['usage.prompt_tokens', 'promptEvalCount'],
]);
/** Strings that carry generated text: native generate/chat, OpenAI chat chunks, completions. */
const CONTENT_PATHS: ReadonlySet<string> = new Set([
  'response',
  'thinking',
  'message.content',
  'message.thinking',
  'choices[].delta.content',
  'choices[].delta.reasoning',
  'choices[].text',
  'choices[].message.content',
]);

const NUMBER_PATHS: ReadonlySet<string> = new Set(NUMERIC_PATHS.keys());
const STRING_PATHS: ReadonlySet<string> = new Set(['model']);
/** {"error": "..."} (native, also mid-stream) or {"error": {...}} (OpenAI). */
const FLAG_PATHS: ReadonlySet<string> = new Set(['error']);

/**
 * @example
 *   const tap = createSpeedTap({ nowMs: clock.monotonicMs });
 *   upstream.on('data', (chunk) => tap.push(chunk));
 *   upstream.on('end', () => record(speedSampleOf(tap.end(), 'traffic', clock.nowMs())));
 */
export function createSpeedTap(opts: SpeedTapOptions): SpeedTap {
  const startedAtMs = opts.startedAtMs ?? opts.nowMs();
  const reading: SpeedReading = {
    format: null,
    model: null,
    evalCount: null,
    evalDurationNs: null,
    promptEvalCount: null,
    promptEvalDurationNs: null,
    loadDurationNs: null,
    totalDurationNs: null,
    startedAtMs,
    endedAtMs: startedAtMs,
    firstContentAtMs: null,
    lastContentAtMs: null,
    ttftMs: null,
    contentRecords: 0,
    records: 0,
    errored: false,
    droppedRecords: 0,
  };
  let ended = false;
  const scanner = createRecordScanner({
    numberPaths: NUMBER_PATHS,
    stringPaths: STRING_PATHS,
    contentPaths: CONTENT_PATHS,
    flagPaths: FLAG_PATHS,
    onRecord(record) {
      reading.records += 1;
      // Later records win: the metrics come on the last line.
      for (const [path, value] of record.numbers) {
        const field = NUMERIC_PATHS.get(path);
        if (field !== undefined) reading[field] = value;
      }
      const model = record.strings.get('model');
      if (model !== undefined && model !== '') reading.model = model;
      if (record.flags.has('error')) reading.errored = true;
      if (record.contentAtMs !== null) {
        reading.contentRecords = (reading.contentRecords ?? 0) + 1;
        reading.firstContentAtMs ??= record.contentAtMs;
        reading.lastContentAtMs = record.contentAtMs;
      }
    },
    onDropped() {
      reading.droppedRecords += 1;
    },
    /**
     * A native answer's token lines after the first content carry nothing the reading needs:
     * Ollama sends its figures only on the `"done":true` line, and an error comes as a line of
     * its own (`{"error":…}`). Reading each token line was most of the meter's cost per stream
     * (issue 14). A line of any other shape (a newer field after `done`, anything unexpected) is read.
     */
    skipLine(chunk, from, to) {
      if (reading.firstContentAtMs === null || !bytesAt(chunk, from, TOKEN_LINE_HEAD) || !bytesAt(chunk, to - TOKEN_LINE_TAIL.length, TOKEN_LINE_TAIL)) return false;
      reading.records += 1;
      return true;
    },
  });

  return {
    push(chunk) {
      if (!ended) scanner.push(chunk, opts.nowMs());
    },
    end() {
      if (!ended) {
        ended = true;
        scanner.end();
        reading.format = scanner.format;
        if (reading.format !== 'sse') {
          reading.contentRecords = null;
          reading.lastContentAtMs = null;
        }
        reading.endedAtMs = opts.nowMs();
        if (reading.firstContentAtMs !== null) reading.ttftMs = Math.max(0, reading.firstContentAtMs - startedAtMs);
      }
      return { ...reading };
    },
  };
}

/** Fewer generated tokens than this say more about rounding than about speed. */
export const MIN_EVAL_TOKENS = 4;
/** A generation span shorter than this (ms) is too short to time on the wall clock. */
const MIN_SPAN_MS = 20;

const perSec = (count: number | null, ns: number | null): number | null =>
  count !== null && ns !== null && count > 0 && ns > 0 ? count / (ns / 1e9) : null;

/**
 * Turns one reading into a sample, or null when the answer measured nothing (a load/unload reply,
 * an error, an answer cut short, OpenAI without a stream).
 * - Native answers: the rates come from Ollama's own counts and nanosecond durations; load_duration
 *   absent means 0 (omitempty, PROTOCOLS.md §1.3).
 * - OpenAI SSE: Ollama's timings are not sent, so generation tokens/s is timed on the wall clock
 *   from the first to the last content chunk ((tokens − 1) intervals), with `usage.completion_tokens`
 *   as the count, or the content chunks when no usage came (Ollama sends one token per chunk).
 *   Prompt tokens/s and load time stay unknown.
 * - OpenAI JSON (no stream): one total time mixes load, prompt and generation: no sample.
 */
export function speedSampleOf(reading: SpeedReading, source: SpeedSource, atMs: number): SpeedSample | null {
  if (reading.errored || reading.model === null) return null;
  const native = reading.evalDurationNs !== null || reading.promptEvalDurationNs !== null || reading.loadDurationNs !== null;
  if (native) {
    const gen = reading.evalCount !== null && reading.evalCount >= MIN_EVAL_TOKENS ? perSec(reading.evalCount, reading.evalDurationNs) : null;
    const prompt = perSec(reading.promptEvalCount, reading.promptEvalDurationNs);
    if (gen === null && prompt === null) return null;
    return {
      atMs,
      source,
      genTokPerSec: gen,
      promptTokPerSec: prompt,
      // One record ("stream": false): the first content came with the whole answer.
      ttftMs: reading.records > 1 ? reading.ttftMs : null,
      loadMs: (reading.loadDurationNs ?? 0) / 1e6,
      latencyMs: null,
    };
  }
  if (reading.format !== 'sse' || reading.firstContentAtMs === null || reading.lastContentAtMs === null) return null;
  const tokens = reading.evalCount ?? reading.contentRecords ?? 0;
  const spanMs = reading.lastContentAtMs - reading.firstContentAtMs;
  const gen = tokens >= MIN_EVAL_TOKENS && spanMs >= MIN_SPAN_MS ? (tokens - 1) / (spanMs / 1000) : null;
  if (gen === null && reading.ttftMs === null) return null;
  return { atMs, source, genTokPerSec: gen, promptTokPerSec: null, ttftMs: reading.ttftMs, loadMs: null, latencyMs: null };
}
