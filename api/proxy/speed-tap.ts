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
 * It never holds the answer: a byte-level JSON scanner keeps only the key it is reading, a short
 * value of a wanted field and the nesting (capped), so its memory stays under a few KiB whatever the
 * line length (the final `/api/generate` line carries `context`, which grows with num_ctx). Past the
 * caps, or on bytes that are not JSON, it drops that record and reads on from the next line; it
 * never throws. The wanted keys are read at the top level only (and `usage.*`), so text inside
 * `response` that looks like a metric is never mistaken for one.
 *
 * How it will be wired (not yet): the serving node's agent creates one tap per inference answer of
 * its own Ollama in the relay and direct paths (relay-handler.ts / ollama-handler.ts when the target
 * is local), calls `push` with each chunk it forwards and `end` when the answer ends, then records
 * `speedSampleOf(reading)` in scheduler/speed.ts under its own node id. Time enters as `nowMs`
 * (the agent passes `clock.monotonicMs`).
 */
import type { SpeedSample, SpeedSource } from '../../scheduler/speed.js';

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
  lastContentAtMs: number | null;
  ttftMs: number | null;
  /** Records (lines, events) that carried content: the token count when no usage was sent. */
  contentRecords: number;
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

/** Caps on what the scanner keeps (bytes); past them a record is dropped. */
const MAX_DEPTH = 32;
const MAX_KEY_BYTES = 64;
const MAX_VALUE_BYTES = 512;
const MAX_SSE_FIELD_BYTES = 16;

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

/** The bytes the scanner looks at (JSON and SSE syntax is ASCII; UTF-8 text bytes are ≥ 0x80). */
const Ch = {
  Tab: 9,
  Lf: 10,
  Cr: 13,
  Space: 32,
  Quote: 34,
  Comma: 44,
  Colon: 58,
  LBracket: 91,
  Backslash: 92,
  RBracket: 93,
  LBrace: 123,
  RBrace: 125,
} as const;

/** What the scanner expects next. */
const enum Expect {
  Value,
  ValueOrEnd,
  KeyOrEnd,
  Key,
  Colon,
  CommaOrEnd,
  InString,
  InScalar,
  /** Garbage or past a cap: skip to the next record boundary. */
  Skip,
}

interface Frame {
  array: boolean;
  key: string | null;
}

interface Pending {
  numbers: Partial<{ [K in Numeric]: number }>;
  model: string | null;
  firstContentAtMs: number | null;
  content: boolean;
  error: boolean;
}

const emptyRecord = (): Pending => ({ numbers: {}, model: null, firstContentAtMs: null, content: false, error: false });
/** d(ata), e(vent), i(d), r(etry), ':' (comment): the ways an SSE stream can open (WHATWG HTML §9.2.6). */
const SSE_FIRST_BYTES: ReadonlySet<number> = new Set([100, 101, 105, 114, Ch.Colon]);
const isWs = (b: number): boolean => b === Ch.Space || b === Ch.Lf || b === Ch.Cr || b === Ch.Tab;
const isScalarByte = (b: number): boolean =>
  (b >= 48 && b <= 57) || (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b === 43 || b === 45 || b === 46;

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

  // JSON scanner state.
  let expect = Expect.Value;
  const stack: Frame[] = [];
  let record = emptyRecord();
  let recordStarted = false;
  /** The string or scalar being read: its bytes (only when wanted) and what it is for. */
  let token: number[] = [];
  let tokenRole: 'key' | 'model' | 'number' | 'content' | 'other' = 'other';
  let tokenOverflow = false;
  let escaped = false;
  let chunkAtMs = 0;

  // SSE line state: reading a field name, feeding a data value, or ignoring the rest of a line.
  let sseLine: 'field' | 'data' | 'dataSpace' | 'ignore' = 'field';
  let sseField: number[] = [];
  let afterCr = false;

  const path = (leaf: string | null): string => {
    const parts: string[] = [];
    for (const f of stack) parts.push(f.array ? '[]' : (f.key ?? ''));
    if (leaf !== null) parts.push(leaf);
    return parts.join('.').replaceAll('.[]', '[]');
  };
  /** Where the value about to be read sits, e.g. `usage.prompt_tokens`, `choices[].delta.content`. */
  const currentValuePath = (): string => path(null);

  function resetRecord(): void {
    if (recordStarted) reading.droppedRecords += 1;
    stack.length = 0;
    record = emptyRecord();
    recordStarted = false;
    expect = Expect.Value;
    token = [];
    escaped = false;
  }

  function commitRecord(): void {
    reading.records += 1;
    for (const [k, v] of Object.entries(record.numbers) as [Numeric, number][]) reading[k] = v;
    if (record.model !== null && record.model !== '') reading.model = record.model;
    if (record.error) reading.errored = true;
    if (record.content) {
      reading.contentRecords += 1;
      reading.firstContentAtMs ??= record.firstContentAtMs;
      reading.lastContentAtMs = record.firstContentAtMs;
    }
    record = emptyRecord();
    recordStarted = false;
  }

  function afterValue(): void {
    if (stack.length === 0) {
      commitRecord();
      expect = Expect.Value;
    } else {
      expect = Expect.CommaOrEnd;
    }
  }

  function fail(): void {
    // Drop the record; read on at the next boundary (a newline; for SSE the event's end).
    if (recordStarted) reading.droppedRecords += 1;
    recordStarted = false;
    record = emptyRecord();
    stack.length = 0;
    expect = Expect.Skip;
  }

  function startValue(b: number): void {
    if (stack.length === 0) recordStarted = true;
    const p = stack.length === 0 ? '' : currentValuePath();
    if (p === 'error') record.error = true; // {"error": "..."} (native) or {"error": {...}} (OpenAI)
    if (b === Ch.LBrace || b === Ch.LBracket) {
      if (stack.length === 0 && b === Ch.LBracket) return fail(); // records are objects
      if (stack.length >= MAX_DEPTH) return fail();
      stack.push({ array: b === Ch.LBracket, key: null });
      expect = b === Ch.LBrace ? Expect.KeyOrEnd : Expect.ValueOrEnd;
      return;
    }
    if (stack.length === 0) return fail(); // a bare scalar is no record
    token = [];
    tokenOverflow = false;
    if (b === Ch.Quote) {
      tokenRole = p === 'model' ? 'model' : CONTENT_PATHS.has(p) ? 'content' : 'other';
      escaped = false;
      expect = Expect.InString;
      return;
    }
    if (isScalarByte(b)) {
      tokenRole = NUMERIC_PATHS.has(p) ? 'number' : 'other';
      expect = Expect.InScalar;
      take(b);
      return;
    }
    fail();
  }

  function take(b: number): void {
    if (tokenRole === 'other' || tokenRole === 'content') return;
    const cap = tokenRole === 'key' ? MAX_KEY_BYTES : MAX_VALUE_BYTES;
    if (token.length >= cap) tokenOverflow = true;
    else token.push(b);
  }

  function endString(): void {
    const top = stack.at(-1);
    if (tokenRole === 'key') {
      // An overlong key is no key we want: keep it unmatchable.
      if (top !== undefined) top.key = tokenOverflow ? '\u0000' : String.fromCharCode(...token);
      expect = Expect.Colon;
      return;
    }
    if (tokenRole === 'model' && !tokenOverflow) {
      try {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(token));
        record.model = JSON.parse(`"${text}"`) as string;
      } catch {
        record.model = null;
      }
    }
    afterValue();
  }

  function endScalar(): void {
    if (tokenRole === 'number' && !tokenOverflow) {
      const text = String.fromCharCode(...token);
      const value = Number(text);
      const field = NUMERIC_PATHS.get(currentValuePath());
      if (field !== undefined && /^-?\d/.test(text) && Number.isFinite(value) && value >= 0) record.numbers[field] = value;
    }
    afterValue();
  }

  /** One byte of JSON text. */
  function json(b: number): void {
    switch (expect) {
      case Expect.Skip:
        return;
      case Expect.InString:
        if (!escaped && b === Ch.Quote) return endString();
        if (b < 0x20) return fail(); // raw control bytes are not allowed inside JSON strings
        escaped = !escaped && b === Ch.Backslash;
        if (tokenRole === 'content' && !record.content) {
          record.content = true;
          record.firstContentAtMs = chunkAtMs;
        }
        take(b);
        return;
      case Expect.InScalar:
        if (isScalarByte(b)) return take(b);
        endScalar();
        return json(b);
      default:
        break;
    }
    if (isWs(b)) return;
    switch (expect) {
      case Expect.Value:
        return startValue(b);
      case Expect.ValueOrEnd:
        if (b === Ch.RBracket) {
          stack.pop();
          return afterValue();
        }
        return startValue(b);
      case Expect.KeyOrEnd:
      case Expect.Key:
        if (b === Ch.RBrace && expect === Expect.KeyOrEnd) {
          stack.pop();
          return afterValue();
        }
        if (b !== Ch.Quote) return fail();
        token = [];
        tokenOverflow = false;
        tokenRole = 'key';
        escaped = false;
        expect = Expect.InString;
        return;
      case Expect.Colon:
        if (b !== Ch.Colon) return fail();
        expect = Expect.Value;
        return;
      case Expect.CommaOrEnd: {
        const top = stack.at(-1);
        if (top === undefined) return fail();
        if (b === Ch.Comma) {
          expect = top.array ? Expect.Value : Expect.Key;
          return;
        }
        if ((b === Ch.RBrace && !top.array) || (b === Ch.RBracket && top.array)) {
          stack.pop();
          return afterValue();
        }
        return fail();
      }
      default:
        return;
    }
  }

  /** End of an NDJSON line or SSE event: a record still open there is broken. */
  function boundary(): void {
    if (expect !== Expect.Value || stack.length > 0) resetRecord();
  }

  function jsonByte(b: number): void {
    // NDJSON framing (PROTOCOLS.md §1.3): Ollama writes every object on one line (gin's c.JSON and
    // json.Encoder never pretty-print), so a newline always ends a record: a cut or garbled line
    // costs that line only. The single object of "stream": false is one line too.
    if (b === Ch.Lf) return boundary();
    json(b);
  }

  function sseByte(b: number): void {
    if (b === Ch.Lf && afterCr) {
      afterCr = false;
      return;
    }
    afterCr = b === Ch.Cr;
    if (b === Ch.Lf || b === Ch.Cr) {
      const blank = sseLine === 'field' && sseField.length === 0;
      if (blank) boundary(); // the event ends: its data is complete
      else if (sseLine === 'data' || sseLine === 'dataSpace') json(Ch.Lf); // data lines join with \n
      sseLine = 'field';
      sseField = [];
      return;
    }
    switch (sseLine) {
      case 'field':
        if (b === Ch.Colon) {
          const name = String.fromCharCode(...sseField);
          sseLine = name === 'data' ? 'dataSpace' : 'ignore';
          return;
        }
        if (sseField.length >= MAX_SSE_FIELD_BYTES) sseLine = 'ignore';
        else sseField.push(b);
        return;
      case 'dataSpace':
        sseLine = 'data';
        if (b === Ch.Space) return; // one optional space after the colon (WHATWG SSE §9.2.6)
        return json(b);
      case 'data':
        return json(b);
      case 'ignore':
        return;
    }
  }

  let feed: ((b: number) => void) | null = null;

  return {
    push(chunk) {
      if (ended) return;
      chunkAtMs = opts.nowMs();
      for (let i = 0; i < chunk.length; i += 1) {
        const b = chunk[i]!;
        if (feed === null) {
          if (isWs(b)) continue;
          // Sniff the framing from the first byte rather than trusting the content type: an SSE
          // stream opens with a field (data, event, id, retry) or a comment; anything else is read
          // as NDJSON, whose line framing recovers from garbage.
          reading.format = SSE_FIRST_BYTES.has(b) ? 'sse' : 'json';
          feed = reading.format === 'json' ? jsonByte : sseByte;
        }
        feed(b);
      }
    },
    end() {
      if (!ended) {
        ended = true;
        reading.endedAtMs = opts.nowMs();
        // A record is committed when its object closes, newline or not; one still open is cut.
        boundary();
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
  const tokens = reading.evalCount ?? reading.contentRecords;
  const spanMs = reading.lastContentAtMs - reading.firstContentAtMs;
  const gen = tokens >= MIN_EVAL_TOKENS && spanMs >= MIN_SPAN_MS ? (tokens - 1) / (spanMs / 1000) : null;
  if (gen === null && reading.ttftMs === null) return null;
  return { atMs, source, genTokPerSec: gen, promptTokPerSec: null, ttftMs: reading.ttftMs, loadMs: null, latencyMs: null };
}
