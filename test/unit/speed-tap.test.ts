/**
 * api/proxy/speed-tap.ts: reading Ollama's speed figures from answer bytes as they stream, split
 * anywhere, with garbage and oversize records around them (wire examples: PROTOCOLS.md §1.4, §1.5,
 * §1.10).
 */
import { describe, expect, it } from 'vitest';
import { createSpeedTap, speedSampleOf } from '../../api/proxy/speed-tap.js';
import type { SpeedReading } from '../../api/proxy/speed-tap.js';

const enc = new TextEncoder();

const GENERATE_NDJSON = [
  '{"model":"llama3.2","created_at":"2026-08-21T10:00:00.1Z","response":"The","done":false}',
  '{"model":"llama3.2","created_at":"2026-08-21T10:00:00.2Z","response":" sky","done":false}',
  '{"model":"llama3.2","created_at":"2026-08-21T10:00:00.3Z","response":"","done":true,"done_reason":"stop","context":[1,2,3],"total_duration":10706818083,"load_duration":6338219291,"prompt_eval_count":26,"prompt_eval_duration":130079000,"eval_count":259,"eval_duration":4232710000}',
]
  .map((l) => `${l}\n`)
  .join('');

const CHAT_NDJSON = [
  '{"model":"llama3.2","created_at":"2026-08-21T10:00:00.1Z","message":{"role":"assistant","content":"The"},"done":false}',
  '{"model":"llama3.2","created_at":"2026-08-21T10:00:01.9Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}',
]
  .map((l) => `${l}\n`)
  .join('');

const sseChunk = (delta: unknown, finish: string | null = null, model = 'llama3.2'): string =>
  `data: ${JSON.stringify({ id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1724230000, model, system_fingerprint: 'fp_ollama', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const SSE_TOKENS = ['The', ' sky', ' is', ' blue', '.'];
const SSE_USAGE = `data: ${JSON.stringify({ id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1724230000, model: 'llama3.2', system_fingerprint: 'fp_ollama', choices: [], usage: { prompt_tokens: 26, completion_tokens: 5, total_tokens: 31 } })}\n\n`;
function sse(withUsage: boolean): string[] {
  return [
    sseChunk({ role: 'assistant', content: SSE_TOKENS[0] }),
    ...SSE_TOKENS.slice(1).map((t) => sseChunk({ content: t })),
    sseChunk({}, 'stop'),
    ...(withUsage ? [SSE_USAGE] : []),
    'data: [DONE]\n\n',
  ];
}

/** A clock that moves 10 ms per push, so each chunk has its own time. */
function steppingClock(startMs = 1000, stepMs = 10): () => number {
  let now = startMs - stepMs;
  return () => (now += stepMs);
}

/** Feeds `chunks` (strings or bytes) to a fresh tap and returns its reading. */
function read(chunks: (string | Uint8Array)[], nowMs: () => number = () => 0): SpeedReading {
  const tap = createSpeedTap({ nowMs });
  for (const c of chunks) tap.push(typeof c === 'string' ? enc.encode(c) : c);
  return tap.end();
}

/** The figures that must not depend on how the bytes were cut (times do, by design). */
const figures = (r: SpeedReading) => ({
  format: r.format,
  model: r.model,
  evalCount: r.evalCount,
  evalDurationNs: r.evalDurationNs,
  promptEvalCount: r.promptEvalCount,
  promptEvalDurationNs: r.promptEvalDurationNs,
  loadDurationNs: r.loadDurationNs,
  totalDurationNs: r.totalDurationNs,
  contentRecords: r.contentRecords,
  records: r.records,
  errored: r.errored,
  droppedRecords: r.droppedRecords,
});

function everySplit(text: string): Uint8Array[][] {
  const bytes = enc.encode(text);
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i += 1) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

describe('native Ollama answers', () => {
  it('reads the final metrics of /api/generate (NDJSON)', () => {
    expect(figures(read([GENERATE_NDJSON]))).toEqual({
      format: 'json',
      model: 'llama3.2',
      evalCount: 259,
      evalDurationNs: 4232710000,
      promptEvalCount: 26,
      promptEvalDurationNs: 130079000,
      loadDurationNs: 6338219291,
      totalDurationNs: 10706818083,
      contentRecords: null,
      records: 3,
      errored: false,
      droppedRecords: 0,
    });
  });

  it('gives the same figures whatever byte offset the answer is split at (generate, chat)', () => {
    for (const text of [GENERATE_NDJSON, CHAT_NDJSON]) {
      const whole = figures(read([text]));
      for (const chunks of everySplit(text)) expect(figures(read(chunks))).toEqual(whole);
    }
  });

  it('gives the same figures when every byte arrives alone, and with three cuts anywhere', () => {
    const text = CHAT_NDJSON;
    const bytes = enc.encode(text);
    const whole = figures(read([text]));
    expect(figures(read(Array.from(bytes, (b) => Uint8Array.of(b))))).toEqual(whole);
    for (let i = 0; i < bytes.length; i += 7) {
      for (let j = i; j < bytes.length; j += 11) {
        expect(figures(read([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]))).toEqual(whole);
      }
    }
    expect(whole).toMatchObject({ model: 'llama3.2', evalCount: 282, evalDurationNs: 4535599000, loadDurationNs: 1334875, contentRecords: null });
  });

  it('escapes inside strings never end them early, wherever the cut falls', () => {
    const text = `{"model":"ns\\/m:1b","response":"say \\"eval_count\\":1, \\\\\\"}{ \\u00e9\\n","done":false}\n{"model":"ns/m:1b","response":"","done":true,"eval_count":40,"eval_duration":500000000}\n`;
    const whole = figures(read([text]));
    expect(whole).toMatchObject({ model: 'ns/m:1b', evalCount: 40, records: 2, droppedRecords: 0 });
    for (const chunks of everySplit(text)) expect(figures(read(chunks))).toEqual(whole);
  });

  it('time to first token: the time of the chunk that carried the first content byte', () => {
    const lines = GENERATE_NDJSON.split('\n');
    const clock = steppingClock(1000, 10); // creation 1000, then 1010, 1020, …
    const tap = createSpeedTap({ nowMs: clock });
    tap.push(enc.encode('{"model":"llama3.2","created_at":"x","response":"')); // 1010: no content byte yet
    tap.push(enc.encode(`T${lines[0]!.slice(lines[0]!.indexOf('"response":"') + 13)}\n`)); // 1020: "T…"
    tap.push(enc.encode(`${lines[1]}\n${lines[2]}\n`)); // 1030
    const r = tap.end(); // 1040
    expect(r).toMatchObject({ startedAtMs: 1000, firstContentAtMs: 1020, ttftMs: 20, endedAtMs: 1040, evalCount: 259 });
  });

  it('counts an escaped character and thinking as content; an empty string is not', () => {
    expect(read(['{"model":"m","response":"\\n","done":false}\n']).firstContentAtMs).not.toBeNull();
    expect(read(['{"model":"m","message":{"role":"assistant","content":"","thinking":"hm"},"done":false}\n']).firstContentAtMs).not.toBeNull();
    expect(read(['{"model":"m","response":"","done":false}\n']).firstContentAtMs).toBeNull();
    // A metric-shaped text inside the answer, or a key nested elsewhere, is not a metric.
    const r = read(['{"model":"m","response":"\\"eval_count\\":999","done":false}\n{"model":"m","options":{"eval_count":5},"eval_duration":7}\n']);
    expect(r.evalCount).toBeNull();
    expect(r.evalDurationNs).toBe(7);
  });

  it('stream:false: one object, metrics read, text and a long context skipped without holding them', () => {
    const context = Array.from({ length: 40_000 }, (_, i) => 128_000 + i).join(',');
    const text = 'word '.repeat(30_000);
    const body = `{"model":"qwen2.5:7b","created_at":"2026-08-21T10:00:00.3Z","response":"${text}","done":true,"done_reason":"stop","context":[${context}],"total_duration":5000000000,"load_duration":1000000,"prompt_eval_count":12,"prompt_eval_duration":20000000,"eval_count":300,"eval_duration":2500000000}`;
    expect(body.length).toBeGreaterThan(400 * 1024);
    const r = read([body]); // no trailing newline: the closed object is complete
    expect(r).toMatchObject({ model: 'qwen2.5:7b', evalCount: 300, evalDurationNs: 2500000000, promptEvalCount: 12, records: 1 });
    expect(r.firstContentAtMs).not.toBeNull();
    const sample = speedSampleOf(r, 'traffic', 5);
    expect(sample).toEqual({ atMs: 5, source: 'traffic', genTokPerSec: 120, promptTokPerSec: 600, ttftMs: null, loadMs: 1, latencyMs: null });
  });

  it('token lines after the first content are counted, not read; lines that may matter are read', () => {
    const lines = GENERATE_NDJSON.split('\n');
    // A token line that is not JSON at all would be dropped if it were read: skipped, it is only counted.
    const garbledToken = '{"model":"llama3.2","response":"x",oops,"done":false}';
    const r = read([`${lines[0]}\n${garbledToken}\n${lines[2]}\n`]);
    expect(r).toMatchObject({ records: 3, droppedRecords: 0, evalCount: 259 });
    // Before the first content nothing is skipped: the empty first line is read, and dropped when garbled.
    expect(read([`${garbledToken}\n${lines[2]}\n`]).droppedRecords).toBe(1);
    // A line with an error key is read even when it also says "done":false.
    expect(read([`${lines[0]}\n{"error":"runner stopped","done":false}\n`]).errored).toBe(true);
    // A token whose text is the word error is no error record.
    expect(read([`${lines[0]}\n{"model":"llama3.2","response":"error","done":false}\n${lines[2]}\n`]).errored).toBe(false);
    // The same line in two pieces is read byte by byte (and dropped when garbled).
    const cut = garbledToken.length - 5;
    expect(read([`${lines[0]}\n${garbledToken.slice(0, cut)}`, `${garbledToken.slice(cut)}\n${lines[2]}\n`]).droppedRecords).toBe(1);
  });

  it('a load or unload reply measures nothing; a mid-stream error marks the answer failed', () => {
    const load = read(['{"model":"llama3.2","created_at":"x","response":"","done":true,"done_reason":"load"}']);
    expect(load.model).toBe('llama3.2');
    expect(speedSampleOf(load, 'traffic', 0)).toBeNull();
    const cut = read([GENERATE_NDJSON.split('\n').slice(0, 2).join('\n'), '\n{"error":"llama runner process has terminated: exit status 2"}\n']);
    expect(cut.errored).toBe(true);
    expect(speedSampleOf(cut, 'traffic', 0)).toBeNull();
    // An error after metrics (never sent by Ollama, but possible from a proxy) still spoils it.
    expect(speedSampleOf(read([GENERATE_NDJSON, '{"error":"x"}\n']), 'traffic', 0)).toBeNull();
    expect(read(['{"error":{"message":"model \'x\' not found","type":"not_found_error","param":null,"code":null}}\n']).errored).toBe(true);
  });
});

describe('OpenAI-compatible answers', () => {
  it('SSE with usage: counts from the usage chunk, the same for every split', () => {
    const text = sse(true).join('');
    const whole = figures(read([text]));
    expect(whole).toMatchObject({ format: 'sse', model: 'llama3.2', evalCount: 5, promptEvalCount: 26, evalDurationNs: null, contentRecords: 5, errored: false });
    for (const chunks of everySplit(text)) expect(figures(read(chunks))).toEqual(whole);
  });

  it('SSE without usage: no counts, content chunks counted; CRLF lines, comments and event fields are fine', () => {
    const lf = sse(false).join('');
    expect(figures(read([lf]))).toMatchObject({ format: 'sse', model: 'llama3.2', evalCount: null, contentRecords: 5, errored: false });
    const crlf = `: keep-alive\r\nevent: message\r\nid: 1\r\n\r\n${lf.replaceAll('\n', '\r\n')}`;
    expect(figures(read([crlf]))).toEqual(figures(read([lf])));
    for (const chunks of everySplit(crlf)) expect(figures(read(chunks))).toEqual(figures(read([lf])));
  });

  it('SSE: tokens/s timed on the wall clock from the first to the last content chunk', () => {
    for (const withUsage of [true, false]) {
      const clock = steppingClock(0, 100); // creation 0, then one chunk per 100 ms
      const r = read(sse(withUsage), clock);
      expect(r).toMatchObject({ ttftMs: 100, firstContentAtMs: 100, lastContentAtMs: 500 });
      // 5 tokens, 4 intervals over 400 ms = 10 tokens/s.
      expect(speedSampleOf(r, 'bench', 9)).toEqual({ atMs: 9, source: 'bench', genTokPerSec: 10, promptTokPerSec: null, ttftMs: 100, loadMs: null, latencyMs: null });
    }
  });

  it('SSE data split over two data lines is one event; /v1/completions text chunks are content', () => {
    const json = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: 'llama3.2', choices: [{ index: 0, text: 'Hi', finish_reason: null }] });
    const cut = json.indexOf(',"choices"');
    const r = read([`data: ${json.slice(0, cut)}\ndata: ${json.slice(cut)}\n\n`, 'data: [DONE]\n\n']);
    expect(r).toMatchObject({ model: 'llama3.2', contentRecords: 1, records: 1, droppedRecords: 1 });
  });

  it('one chat.completion JSON (no stream): counts from usage, but no sample (one total time says nothing apart)', () => {
    const body = `${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'llama3.2', system_fingerprint: 'fp_ollama', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 26, completion_tokens: 5, total_tokens: 31 } })}\n`;
    const r = read([body]);
    expect(r).toMatchObject({ format: 'json', model: 'llama3.2', evalCount: 5, promptEvalCount: 26, contentRecords: null });
    expect(speedSampleOf(r, 'traffic', 0)).toBeNull();
  });

  it('an OpenAI stream that fails mid-way (empty chunk, no [DONE]) gives no rate from too few tokens', () => {
    const r = read([sseChunk({ role: 'assistant', content: 'The' }), sseChunk({ content: '' }, null, '')]);
    expect(r.contentRecords).toBe(1);
    expect(speedSampleOf(r, 'traffic', 0)?.genTokPerSec ?? null).toBeNull();
  });
});

/** A small deterministic PRNG (mulberry32) so the garbage is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('garbage and oversize records', () => {
  it('never throws on random bytes, random cuts or mutated answers', () => {
    const rand = prng(15);
    const sources = [GENERATE_NDJSON, CHAT_NDJSON, sse(true).join('')].map((t) => enc.encode(t));
    for (let round = 0; round < 400; round += 1) {
      let bytes: Uint8Array;
      if (round % 4 === 0) {
        bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 600) }, () => Math.floor(rand() * 256));
      } else {
        bytes = Uint8Array.from(sources[round % sources.length]!);
        for (let k = 0; k < 1 + Math.floor(rand() * 8); k += 1) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      }
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const len = 1 + Math.floor(rand() * 40);
        chunks.push(bytes.subarray(at, at + len));
        at += len;
      }
      const r = read(chunks);
      expect(() => speedSampleOf(r, 'traffic', 0)).not.toThrow();
      for (const v of [r.evalCount, r.evalDurationNs, r.promptEvalCount, r.loadDurationNs]) expect(v === null || (Number.isFinite(v) && v >= 0)).toBe(true);
    }
  });

  it('drops a garbled line and reads the next one', () => {
    const lines = GENERATE_NDJSON.split('\n');
    const r = read([`${lines[0]}\nnot json at all {\n{"model":"llama3.2","response":"x" "eval_count":1}\n\u0000\u00ff\n{"eval_count":"259"}\n${lines[2]}\n`]);
    // Three lines are not JSON; {"eval_count":"259"} is, but a string is no count.
    expect(r).toMatchObject({ model: 'llama3.2', evalCount: 259, evalDurationNs: 4232710000, droppedRecords: 3 });
    expect(speedSampleOf(r, 'traffic', 0)?.genTokPerSec).toBeCloseTo(259 / 4.23271, 6);
  });

  it('a truncated line followed by a good one costs only the truncated line', () => {
    const lines = CHAT_NDJSON.split('\n');
    const r = read([`${lines[0]!.slice(0, 40)}\n${lines[0]!.slice(0, 80)}\n${lines[1]}\n`]);
    expect(r).toMatchObject({ evalCount: 282, droppedRecords: 2 });
  });

  it('rejects metrics that are not non-negative numbers', () => {
    const r = read(['{"model":"m","eval_count":-5,"eval_duration":1e400,"prompt_eval_count":true,"prompt_eval_duration":"9","load_duration":null,"total_duration":12}\n']);
    expect(r).toMatchObject({ evalCount: null, evalDurationNs: null, promptEvalCount: null, promptEvalDurationNs: null, loadDurationNs: null, totalDurationNs: 12 });
  });

  it('drops a record nested deeper than the cap, and one whose model name is absurdly long', () => {
    const deep = `{"model":"m","x":${'['.repeat(100)}${']'.repeat(100)},"eval_count":9}\n`;
    expect(read([deep, '{"eval_duration":5}\n'])).toMatchObject({ evalCount: null, evalDurationNs: 5, droppedRecords: 1 });
    const longModel = read([`{"model":"${'m'.repeat(10_000)}","eval_count":9,"eval_duration":1000000000}\n`]);
    expect(longModel).toMatchObject({ model: null, evalCount: 9 });
    expect(speedSampleOf(longModel, 'traffic', 0)).toBeNull();
    const longKey = read([`{"${'k'.repeat(10_000)}":1,"model":"m","eval_count":9}\n`]);
    expect(longKey).toMatchObject({ model: 'm', evalCount: 9 });
  });

  it('a 1 MiB line of garbage is skipped and the answer after it is read', () => {
    const junk = 'x'.repeat(1024 * 1024);
    const r = read([junk, '\n', GENERATE_NDJSON]);
    expect(r).toMatchObject({ evalCount: 259, model: 'llama3.2' });
  });

  it('a model name with escapes and UTF-8 is decoded; invalid UTF-8 in it is refused', () => {
    expect(read(['{"model":"team\\/m\\u00e9t\u00e9o:1b"}\n']).model).toBe('team/météo:1b');
    expect(read([Uint8Array.from([...enc.encode('{"model":"a'), 0xff, ...enc.encode('"}\n')])]).model).toBeNull();
  });

  it('push after end is ignored and end is idempotent; an empty answer reads as nothing', () => {
    const tap = createSpeedTap({ nowMs: () => 0 });
    tap.push(enc.encode(CHAT_NDJSON));
    const first = tap.end();
    tap.push(enc.encode(GENERATE_NDJSON));
    expect(tap.end()).toEqual(first);
    const empty = read(['', '  \n']);
    expect(empty).toMatchObject({ format: null, model: null, records: 0 });
    expect(speedSampleOf(empty, 'traffic', 0)).toBeNull();
  });
});

describe('speedSampleOf', () => {
  it('native: tokens/s from counts over nanoseconds, load in ms, TTFT only for a streamed answer', () => {
    const r = read([CHAT_NDJSON], steppingClock(0, 50));
    expect(speedSampleOf(r, 'traffic', 77)).toEqual({
      atMs: 77,
      source: 'traffic',
      genTokPerSec: 282 / 4.535599,
      promptTokPerSec: 26 / 0.342546,
      ttftMs: 50,
      loadMs: 1.334875,
      latencyMs: null,
    });
  });

  it('absent load_duration means 0 (omitempty); fewer than 4 generated tokens give no generation rate', () => {
    const r = read(['{"model":"m","response":"a","done":false}\n{"model":"m","response":"","done":true,"prompt_eval_count":10,"prompt_eval_duration":100000000,"eval_count":3,"eval_duration":30000000}\n']);
    expect(speedSampleOf(r, 'traffic', 0)).toMatchObject({ genTokPerSec: null, promptTokPerSec: 100, loadMs: 0 });
  });
});
