/**
 * The record scanner's two readers (api/proxy/record-scanner.ts): whole short NDJSON lines go through
 * JSON.parse, anything else byte by byte. Both must give the same records.
 */
import { describe, expect, it } from 'vitest';
import { createRecordScanner, type ScannedRecord } from '../../../api/proxy/record-scanner.js';

const enc = new TextEncoder();

function records(chunks: readonly Uint8Array[]): { records: ScannedRecord[]; dropped: number } {
  const out: ScannedRecord[] = [];
  let dropped = 0;
  const s = createRecordScanner({
    numberPaths: new Set(['eval_count', 'usage.completion_tokens']),
    stringPaths: new Set(['model']),
    contentPaths: new Set(['response', 'message.content', 'choices[].delta.content']),
    flagPaths: new Set(['error']),
    // A copy: the scanner reuses its record object once onRecord returns.
    onRecord: (r) => out.push({ numbers: new Map(r.numbers), strings: new Map(r.strings), flags: new Set(r.flags), contentAtMs: r.contentAtMs }),
    onDropped: () => dropped++,
  });
  chunks.forEach((c, i) => s.push(c, i));
  s.end();
  return { records: out, dropped };
}

const LINES = [
  '{"model":"llama3.2","created_at":"2026-01-01T00:00:00Z","response":"Hi","done":false}',
  '{"model":"m","message":{"role":"assistant","content":""},"done":false}',
  '{"model":"m","message":{"role":"assistant","content":"\\"quoted\\"\\n"}}',
  '{"choices":[{"delta":{"content":"x"}},{"delta":{}}],"usage":{"completion_tokens":7}}',
  '{"eval_count":-1,"usage":{"completion_tokens":"7"},"error":null}',
  '{"error":{"message":"boom"},"eval_count":3.5}',
  `{"model":"${'m'.repeat(600)}","eval_count":2}`,
  `{"${'k'.repeat(80)}":{"model":"nested"},"model":"top"}`,
  `{"x":${'['.repeat(40)}${']'.repeat(40)},"eval_count":1}`,
  '[1,2]',
  '"just a string"',
  '{"model":"half',
  'garbage',
  '   ',
  '{"a":1} {"eval_count":4}',
];

describe('createRecordScanner', () => {
  it('whole lines (parsed natively where plain) give the same records as the same bytes one at a time', () => {
    const text = `${LINES.join('\n')}\n`;
    const whole = records([enc.encode(text)]);
    const byByte = records([...enc.encode(text)].map((b) => Uint8Array.of(b)));
    // Chunk times differ (one chunk against one per byte); what was read must not.
    const shape = (r: { records: ScannedRecord[]; dropped: number }) => ({ dropped: r.dropped, records: r.records.map((x) => ({ ...x, contentAtMs: x.contentAtMs !== null })) });
    expect(shape(whole)).toEqual(shape(byByte));
    expect(whole.records.length).toBeGreaterThan(5);
  });

  it('long lines with arrays nobody reads (a 4,000-token context) give the same records as one byte at a time', () => {
    const ints = Array.from({ length: 1500 }, (_, i) => 128_000 + i).join(',');
    const long = [
      `{"model":"m","context":[${ints}],"eval_count":9}`,
      `{"model":"m","context":[${ints},,1],"eval_count":9}`, // garbage deep in the run: dropped either way
      `{"model":"m","context":[ ${ints.replaceAll(',', ' , ')} , true, null, -1.5e3 ,7 ],"eval_count":8}`,
      `{"model":"m","context":[[${ints}],{"eval_count":5},"s",[${ints}]],"eval_count":7}`,
      `{"model":"m","context":[${ints}x y],"eval_count":6}`, // two scalars with no comma: dropped either way
    ];
    expect(long.every((l) => l.length > 4096)).toBe(true);
    const text = `${long.join('\n')}\n`;
    const whole = records([enc.encode(text)]);
    const byByte = records([...enc.encode(text)].map((b) => Uint8Array.of(b)));
    expect(whole).toEqual(byByte); // no content here, so chunk times do not show
    expect(whole.records.map((r) => r.numbers.get('eval_count'))).toEqual([9, 8, 7]);
    expect(whole.dropped).toBe(2);
    // Cut anywhere, the same.
    for (let cut = 1; cut < text.length; cut += 97) expect(records([enc.encode(text.slice(0, cut)), enc.encode(text.slice(cut))]).records.length).toBe(3);
  });

  it('an array under a wanted path is read element by element', () => {
    const got: number[] = [];
    const s = createRecordScanner({
      numberPaths: new Set(['counts[]']),
      stringPaths: new Set(),
      contentPaths: new Set(),
      flagPaths: new Set(),
      onRecord: (r) => got.push(r.numbers.get('counts[]') ?? -1),
      onDropped: () => got.push(-2),
    });
    s.push(enc.encode(`{"counts":[${Array.from({ length: 1500 }, (_, i) => i).join(',')},"end"]}\n`), 0);
    s.end();
    expect(got).toEqual([1499]); // the last number read wins: the elements before "end" were read
  });

  it('skipLine: a whole line the caller skips is not read; a line in pieces always is', () => {
    const asked: string[] = [];
    const s = createRecordScanner({
      numberPaths: new Set(['eval_count']),
      stringPaths: new Set(),
      contentPaths: new Set(),
      flagPaths: new Set(),
      onRecord: (r) => asked.push(`record ${r.numbers.get('eval_count') ?? '-'}`),
      onDropped: () => asked.push('dropped'),
      skipLine: (chunk, from, to) => {
        const line = Buffer.from(chunk.subarray(from, to)).toString();
        asked.push(`skip? ${line}`);
        return line.startsWith('{"skip"');
      },
    });
    s.push(enc.encode('{"skip":1,"eval_count":1}\n{"eval_count":2}\n{"skip":3,'), 0);
    s.push(enc.encode('"eval_count":3}\n'), 1);
    s.end();
    expect(asked).toEqual(['skip? {"skip":1,"eval_count":1}', 'skip? {"eval_count":2}', 'record 2', 'record 3']);
  });

  it('a line over 4 KiB (a long `context`) is read byte by byte, to the same record', () => {
    const line = `{"model":"m","context":[${Array.from({ length: 2000 }, (_, i) => i).join(',')}],"eval_count":9}\n`;
    expect(records([enc.encode(line)]).records).toEqual([{ numbers: new Map([['eval_count', 9]]), strings: new Map([['model', 'm']]), flags: new Set(), contentAtMs: null }]);
  });
});
