/**
 * A streaming reader of the records in an answer body, NDJSON or SSE (`data:` events), that picks
 * out a few fields by path without ever holding a record: it keeps the nesting (capped), the key
 * it is reading and the short value of a wanted field, so its memory stays under a few KiB whatever
 * the line length. It exists for the speed tap (speed-tap.ts), which must read Ollama's metrics
 * from answers that pass through the agent without slowing or buffering them (issue 15).
 *
 * Paths name a value from the record's top: `eval_count`, `usage.prompt_tokens`,
 * `choices[].delta.content` (`[]` is any array element). A record is committed when its top-level
 * object closes; bytes that are not JSON, a key or value past its cap, or nesting past MAX_DEPTH drop
 * the record, and reading resumes at the next boundary (an NDJSON newline, the end of an SSE event).
 * It never throws. Whole NDJSON lines up to 4 KiB that are plain JSON objects are read with JSON.parse
 * instead (the same record, natively; see parsedLine), so only those are ever held, and briefly.
 * A caller may also have whole lines it does not need skipped unread (`skipLine`).
 *
 * How it will be wired: only through speed-tap.ts.
 */
import { isUtf8 } from 'node:buffer';

/** Caps on what the scanner keeps; past them a record is dropped (or, for a key, never matched). */
export const MAX_DEPTH = 32;
const MAX_KEY_BYTES = 64;
const MAX_VALUE_BYTES = 512;
const MAX_SSE_FIELD_BYTES = 16;

/** A record as read; the scanner reuses the object, so it is valid only during `onRecord`. */
export interface ScannedRecord {
  /** Wanted numeric paths that held a non-negative finite number. */
  numbers: ReadonlyMap<string, number>;
  /** Wanted string paths (decoded; absent when over the cap or not UTF-8). */
  strings: ReadonlyMap<string, string>;
  /** Flag paths that held any value (e.g. `error`). */
  flags: ReadonlySet<string>;
  /** Time of the chunk that carried the first byte of a non-empty content string, or null. */
  contentAtMs: number | null;
}

export interface RecordScannerOptions {
  numberPaths: ReadonlySet<string>;
  stringPaths: ReadonlySet<string>;
  contentPaths: ReadonlySet<string>;
  flagPaths: ReadonlySet<string>;
  onRecord: (record: ScannedRecord) => void;
  onDropped: () => void;
  /**
   * Asked for each whole NDJSON line that starts and ends within one chunk, `chunk[from, to)`
   * without its newline: true means the caller has no use for it (and counted it itself), so it is
   * not read at all. Lines that arrive in pieces are always read.
   */
  skipLine?: (chunk: Uint8Array, from: number, to: number) => boolean;
}

export interface RecordScanner {
  /** 'sse' or 'json' once the first non-blank byte was seen. */
  readonly format: 'json' | 'sse' | null;
  push(chunk: Uint8Array, atMs: number): void;
  /** The body ended: a record still open is dropped. */
  end(): void;
}

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
  /** An array whose elements hold nothing wanted: runs of plain scalars in it are skipped whole (skipScalars). */
  unwanted: boolean;
  /** The path of this container itself; its values sit at `valuePath`. */
  path: string;
  /** The path of the value read next in this container (kept so no value rebuilds it). */
  valuePath: string;
}

interface Pending {
  numbers: Map<string, number>;
  strings: Map<string, string>;
  flags: Set<string>;
  contentAtMs: number | null;
}

const emptyRecord = (): Pending => ({ numbers: new Map(), strings: new Map(), flags: new Set(), contentAtMs: null });
/** Records are cleared for reuse, not made anew: a tap reads thousands a second, and each made three collections. */
function clearRecord(r: Pending): void {
  if (r.numbers.size > 0) r.numbers.clear();
  if (r.strings.size > 0) r.strings.clear();
  if (r.flags.size > 0) r.flags.clear();
  r.contentAtMs = null;
}
/** d(ata), e(vent), i(d), r(etry), ':' (comment): the ways an SSE stream can open (WHATWG HTML §9.2.6). */
const SSE_FIRST_BYTES: ReadonlySet<number> = new Set([100, 101, 105, 114, Ch.Colon]);
const isWs = (b: number): boolean => b === Ch.Space || b === Ch.Lf || b === Ch.Cr || b === Ch.Tab;
const isScalarByte = (b: number): boolean =>
  (b >= 48 && b <= 57) || (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b === 43 || b === 45 || b === 46;
/** A key longer than the cap can match no wanted path. */
const UNMATCHABLE = '\u0000';

/**
 * @example
 *   const scanner = createRecordScanner({ numberPaths: new Set(['eval_count']), ..., onRecord, onDropped });
 *   scanner.push(chunk, clock.monotonicMs());
 *   scanner.end();
 */
export function createRecordScanner(opts: RecordScannerOptions): RecordScanner {
  /** Made when the byte scanner first opens an array: most answers' lines are parsed whole (parsedLine) or skipped. */
  let wantedPrefixes: ReadonlySet<string> | null = null;
  let format: 'json' | 'sse' | null = null;
  let expect = Expect.Value;
  const stack: Frame[] = [];
  /** The record being read; also the one a whole line is read into (parsedLine runs only between records). */
  const record = emptyRecord();
  let recordStarted = false;
  /** The string or scalar being read: its bytes (only when wanted) and what it is for. */
  let token: number[] = [];
  let tokenRole: 'key' | 'string' | 'number' | 'content' | 'other' = 'other';
  let tokenPath = '';
  let tokenOverflow = false;
  let escaped = false;
  let chunkAtMs = 0;
  /** Made when a wanted string is first decoded: most answers' scanners never need one. */
  let utf8: TextDecoder | null = null;

  // SSE line state: reading a field name, feeding a data value, or ignoring the rest of a line.
  let sseLine: 'field' | 'data' | 'dataSpace' | 'ignore' = 'field';
  let sseField: number[] = [];
  let afterCr = false;

  /** Where the value about to be read sits, e.g. `usage.prompt_tokens`, `choices[].delta.content`. */
  const valuePath = (): string => stack.at(-1)?.valuePath ?? '';

  /** Drops the record being read (if one began) and waits for the next boundary. */
  function fail(): void {
    if (recordStarted) opts.onDropped();
    recordStarted = false;
    clearRecord(record);
    stack.length = 0;
    expect = Expect.Skip;
  }

  function afterValue(): void {
    if (stack.length > 0) {
      expect = Expect.CommaOrEnd;
      return;
    }
    recordStarted = false;
    expect = Expect.Value;
    opts.onRecord(record);
    clearRecord(record);
  }

  function startValue(b: number): void {
    if (stack.length === 0) {
      // Records are objects: a bare scalar or an array (SSE's `data: [DONE]`) is no record.
      recordStarted = true;
      if (b !== Ch.LBrace) return fail();
    }
    const p = valuePath();
    if (opts.flagPaths.has(p)) record.flags.add(p);
    if (b === Ch.LBrace || b === Ch.LBracket) {
      if (stack.length >= MAX_DEPTH) return fail();
      const array = b === Ch.LBracket;
      const unwanted = array && !(wantedPrefixes ??= prefixesOf([opts.numberPaths, opts.stringPaths, opts.contentPaths, opts.flagPaths])).has(`${p}[]`);
      stack.push({ array, unwanted, path: p, valuePath: array ? `${p}[]` : UNMATCHABLE });
      expect = b === Ch.LBrace ? Expect.KeyOrEnd : Expect.ValueOrEnd;
      return;
    }
    token = [];
    tokenOverflow = false;
    tokenPath = p;
    if (b === Ch.Quote) {
      tokenRole = opts.stringPaths.has(p) ? 'string' : opts.contentPaths.has(p) ? 'content' : 'other';
      escaped = false;
      expect = Expect.InString;
      return;
    }
    if (!isScalarByte(b)) return fail();
    tokenRole = opts.numberPaths.has(p) ? 'number' : 'other';
    expect = Expect.InScalar;
    take(b);
  }

  function take(b: number): void {
    if (tokenRole === 'other' || tokenRole === 'content') return;
    if (token.length >= (tokenRole === 'key' ? MAX_KEY_BYTES : MAX_VALUE_BYTES)) tokenOverflow = true;
    else token.push(b);
  }

  function endString(): void {
    if (tokenRole === 'key') {
      const top = stack.at(-1);
      if (top !== undefined) {
        const key = tokenOverflow ? UNMATCHABLE : String.fromCharCode(...token);
        top.valuePath = top.path === '' ? key : `${top.path}.${key}`;
      }
      expect = Expect.Colon;
      return;
    }
    if (tokenRole === 'string' && !tokenOverflow) {
      try {
        // The raw bytes still hold JSON escapes: decode UTF-8 strictly, then let JSON undo them.
        const raw = (utf8 ??= new TextDecoder('utf-8', { fatal: true })).decode(new Uint8Array(token));
        record.strings.set(tokenPath, raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw);
      } catch {
        // Not UTF-8 or a broken escape: the field is simply absent.
      }
    }
    afterValue();
  }

  function endScalar(): void {
    if (tokenRole === 'number' && !tokenOverflow) {
      const text = String.fromCharCode(...token);
      const value = Number(text);
      if (/^-?\d/.test(text) && Number.isFinite(value) && value >= 0) record.numbers.set(tokenPath, value);
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
        if (tokenRole === 'content') record.contentAtMs ??= chunkAtMs;
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
        if (b !== Ch.RBracket) return startValue(b);
        stack.pop();
        return afterValue();
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
    if (expect !== Expect.Value || stack.length > 0) {
      if (recordStarted) opts.onDropped();
      recordStarted = false;
      clearRecord(record);
      stack.length = 0;
    }
    expect = Expect.Value;
  }

  function ndjsonByte(b: number): void {
    // NDJSON framing (PROTOCOLS.md §1.3): Ollama writes every object on one line (gin's c.JSON and
    // json.Encoder never pretty-print), so a newline always ends a record: a cut or garbled line
    // costs that line only. The single object of "stream": false is one line too.
    if (b === Ch.Lf) return boundary();
    json(b);
  }

  /** SSE framing (WHATWG HTML §9.2.6): `field: value` lines; a blank line ends the event. */
  function sseByte(b: number): void {
    if (b === Ch.Lf && afterCr) {
      afterCr = false;
      return;
    }
    afterCr = b === Ch.Cr;
    if (b === Ch.Lf || b === Ch.Cr) {
      if (sseLine === 'field' && sseField.length === 0) boundary();
      else if (sseLine === 'data' || sseLine === 'dataSpace') json(Ch.Lf); // data lines join with \n
      sseLine = 'field';
      sseField = [];
      return;
    }
    switch (sseLine) {
      case 'field':
        if (b === Ch.Colon) sseLine = String.fromCharCode(...sseField) === 'data' ? 'dataSpace' : 'ignore';
        else if (sseField.length >= MAX_SSE_FIELD_BYTES) sseLine = 'ignore';
        else sseField.push(b);
        return;
      case 'dataSpace':
        sseLine = 'data';
        if (b !== Ch.Space) json(b); // one optional space after the colon
        return;
      case 'data':
        return json(b);
      case 'ignore':
        return;
    }
  }

  return {
    get format() {
      return format;
    },
    push(chunk, atMs) {
      chunkAtMs = atMs;
      let from = 0;
      // The framing is known from the first byte that is not blank, so an NDJSON answer's first
      // line can be read whole (parsedLine) like the others, not byte by byte.
      if (format === null) {
        while (from < chunk.length && isWs(chunk[from]!)) from += 1;
        if (from === chunk.length) return;
        format = sniff(chunk[from]!);
      }
      while (from < chunk.length) {
        // Between NDJSON records, each whole short line is parsed natively (parsedLine); anything
        // else, and any line parsedLine declines, goes through the byte scanner up to its newline.
        const atBoundary = format === 'json' && expect === Expect.Value && stack.length === 0 && !recordStarted;
        const nl = chunk.indexOf(Ch.Lf, from);
        const end = nl === -1 ? chunk.length : nl + 1;
        const whole = atBoundary && nl !== -1;
        if (!(whole && (skipped(chunk, from, nl) || parsedLine(chunk, from, nl)))) scanBytes(chunk, from, end);
        from = end;
      }
    },
    end() {
      boundary();
    },
  };

  function skipped(chunk: Uint8Array, from: number, nl: number): boolean {
    return opts.skipLine?.(chunk, from, nl) ?? false;
  }

  /**
   * One whole NDJSON line read with JSON.parse, which is native and several times cheaper per
   * byte than scanBytes (the meter was the largest share of a serving agent's own CPU per relayed
   * stream, issue 10/14). Gives the same record as the byte scanner would, so it only takes lines
   * where that is plain: short, UTF-8, valid JSON, an object, within the nesting cap. Returns false
   * for any other line, which the caller then scans byte by byte (and drops, if it is garbage).
   */
  function parsedLine(chunk: Uint8Array, from: number, nl: number): boolean {
    if (nl - from > MAX_PARSED_LINE_BYTES) return false;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset + from, nl - from);
    if (!isUtf8(bytes)) return false;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      return false;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    if (!collect(value, '', 1, record)) {
      clearRecord(record);
      return false;
    }
    opts.onRecord(record);
    clearRecord(record);
    return true;
  }

  /** The wanted fields under one container, with the byte scanner's paths and caps; false past MAX_DEPTH. */
  function collect(container: object, path: string, depth: number, into: Pending): boolean {
    const array = Array.isArray(container);
    for (const [key, v] of Object.entries(container)) {
      const p = array ? `${path}[]` : keyPath(path, key);
      if (opts.flagPaths.has(p)) into.flags.add(p);
      if (v !== null && typeof v === 'object') {
        if (depth >= MAX_DEPTH || !collect(v as object, p, depth + 1, into)) return false;
      } else if (typeof v === 'string') {
        if (opts.stringPaths.has(p)) {
          if (Buffer.byteLength(JSON.stringify(v)) - 2 <= MAX_VALUE_BYTES) into.strings.set(p, v);
        } else if (v !== '' && opts.contentPaths.has(p)) into.contentAtMs ??= chunkAtMs;
      } else if (typeof v === 'number' && opts.numberPaths.has(p) && Number.isFinite(v) && v >= 0) into.numbers.set(p, v);
    }
    return true;
  }

  /**
   * Where a run of plain scalars in an unwanted array (`1, 2, 3,`) that starts at `i` ends, just after
   * its last comma; `i` when there is none. Reading them byte by byte changes nothing but the
   * position: the final `/api/generate` line carries every token id of the conversation in
   * `context`, tens of KiB that cost the meter ~25 ns a byte (issue 14). Elements that are not plain
   * scalars, and the last one, are read as usual, so a record is dropped exactly when it was before.
   */
  function skipScalars(chunk: Uint8Array, i: number, end: number): number {
    let j = i;
    let safe = i;
    for (;;) {
      while (j < end && isWs(chunk[j]!)) j += 1;
      const start = j;
      while (j < end && isScalarByte(chunk[j]!)) j += 1;
      if (j === start) return safe;
      while (j < end && isWs(chunk[j]!)) j += 1;
      if (j >= end || chunk[j] !== Ch.Comma) return safe;
      j += 1;
      safe = j;
    }
  }

  /** The byte scanner over chunk[from, end). */
  function scanBytes(chunk: Uint8Array, from: number, end: number): void {
    for (let i = from; i < end; i += 1) {
      if (format === 'json' && (expect === Expect.Value || expect === Expect.ValueOrEnd) && stack.at(-1)?.unwanted === true) {
        const after = skipScalars(chunk, i, end);
        if (after > i) {
          expect = Expect.Value; // just after a comma in the array
          i = after - 1;
          continue;
        }
      }
      const b = chunk[i]!;
      if (format === 'sse') sseByte(b);
      else ndjsonByte(b);
      // Inside a string nobody reads (answer text, ids), jump to the next byte that matters.
      if (expect === Expect.InString && !escaped && (tokenRole === 'other' || (tokenRole === 'content' && record.contentAtMs !== null))) {
        let j = i + 1;
        while (j < end && chunk[j]! !== Ch.Quote && chunk[j]! !== Ch.Backslash && chunk[j]! >= 0x20) j += 1;
        i = j - 1;
      }
    }
  }
}

/** Every path a wanted path lies under (`choices`, `choices[]`, `choices[].delta`, …), and the paths themselves. */
function prefixesOf(sets: readonly ReadonlySet<string>[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const set of sets) {
    for (const p of set) {
      out.add(p);
      for (let i = 0; i < p.length; i += 1) if (p[i] === '.' || p.startsWith('[]', i)) out.add(p.slice(0, i));
      for (let i = p.indexOf('[]'); i !== -1; i = p.indexOf('[]', i + 2)) out.add(p.slice(0, i + 2));
    }
  }
  return out;
}

/**
 * The framing, from the first byte that is not blank, rather than from the content type: an SSE
 * stream opens with a field or a comment; anything else is read as NDJSON, whose line framing
 * recovers from garbage.
 */
function sniff(first: number): 'sse' | 'json' {
  return SSE_FIRST_BYTES.has(first) ? 'sse' : 'json';
}

/** Lines longer than this (the final `/api/generate` line with a long `context`) are byte-scanned: memory stays bounded. */
const MAX_PARSED_LINE_BYTES = 4096;

/** A key's path under an object, as the byte scanner builds it: a key past MAX_KEY_BYTES matches nothing. */
function keyPath(parent: string, key: string): string {
  const k = Buffer.byteLength(key) > MAX_KEY_BYTES ? UNMATCHABLE : key;
  return parent === '' ? k : `${parent}.${k}`;
}
