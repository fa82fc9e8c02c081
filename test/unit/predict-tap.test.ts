/**
 * api/proxy/predict-tap.ts: the Immich ML task of a /predict request, from the multipart body that
 * undici's FormData makes (what the Immich server sends, PROTOCOLS.md §2.2), and its latency sample.
 */
import { describe, expect, it } from 'vitest';
import { entriesFieldOf, MAX_SCAN_BYTES, predictSampleOf, predictTaskOf, predictTaskOfEntries } from '../../api/proxy/predict-tap.js';

const ENTRIES = {
  clipVisual: '{"clip":{"visual":{"modelName":"ViT-B-32__openai"}}}',
  clipTextual: '{"clip":{"textual":{"modelName":"ViT-B-32__openai","options":{"language":"en-US"}}}}',
  faces: '{"facial-recognition":{"detection":{"modelName":"buffalo_l","options":{"minScore":0.7}},"recognition":{"modelName":"buffalo_l"}}}',
  ocr: '{"ocr":{"detection":{"modelName":"PP-OCRv5_mobile","options":{"minScore":0.5,"maxResolution":736}},"recognition":{"modelName":"PP-OCRv5_mobile","options":{"minScore":0.8}}}}',
};

/** The body and content type exactly as Node's FormData encodes them (the Immich server's way). */
async function multipart(fields: [string, string | Blob][]): Promise<{ contentType: string; body: Uint8Array }> {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  const req = new Request('http://local/predict', { method: 'POST', body: form });
  return { contentType: req.headers.get('content-type') ?? '', body: new Uint8Array(await req.arrayBuffer()) };
}
const image = (bytes: number): Blob => new Blob([new Uint8Array(bytes).fill(0xff)]);

describe('the task of a /predict request', () => {
  it('tells CLIP visual, CLIP textual, faces and OCR apart from real multipart bodies', async () => {
    const cases: [string, [string, string | Blob][], string][] = [
      ['clip-visual', [['entries', ENTRIES.clipVisual], ['image', image(50_000)]], ENTRIES.clipVisual],
      ['clip-textual', [['entries', ENTRIES.clipTextual], ['text', 'a dog on the beach']], ENTRIES.clipTextual],
      ['facial-recognition', [['entries', ENTRIES.faces], ['image', image(10)]], ENTRIES.faces],
      ['ocr', [['entries', ENTRIES.ocr], ['image', image(10)]], ENTRIES.ocr],
      // Field order is not guaranteed by the protocol: entries after a small image is found too.
      ['clip-visual', [['image', image(100)], ['entries', ENTRIES.clipVisual]], ENTRIES.clipVisual],
    ];
    for (const [task, fields, entries] of cases) {
      const { contentType, body } = await multipart(fields);
      expect(entriesFieldOf(contentType, body)).toBe(entries);
      expect(predictTaskOf(contentType, body)).toBe(task);
    }
  });

  it('reads a hand-made body with a quoted boundary and keeps UTF-8 in the entries', () => {
    const entries = '{"clip":{"textual":{"modelName":"XLM-Roberta","options":{"language":"français"}}}}';
    const body = new TextEncoder().encode(`--b1\r\nContent-Disposition: form-data; name="text"\r\n\r\nchat\r\n--b1\r\nContent-Disposition: form-data; name="entries"\r\n\r\n${entries}\r\n--b1--\r\n`);
    expect(entriesFieldOf('multipart/form-data; boundary="b1"', body)).toBe(entries);
    expect(predictTaskOf('Multipart/Form-Data; charset=utf-8; boundary=b1', body)).toBe('clip-textual');
  });

  it('gives null for what cannot be told: no multipart, no boundary, no entries, entries past the scanned head, cut bodies', async () => {
    const { contentType, body } = await multipart([['entries', ENTRIES.clipVisual], ['image', image(10)]]);
    expect(predictTaskOf(undefined, body)).toBeNull();
    expect(predictTaskOf('application/json', body)).toBeNull();
    expect(predictTaskOf('multipart/form-data', body)).toBeNull();
    expect(predictTaskOf(contentType, body.subarray(0, 120))).toBeNull();
    expect(predictTaskOf(contentType, new Uint8Array(0))).toBeNull();
    const noEntries = await multipart([['text', 'x']]);
    expect(predictTaskOf(noEntries.contentType, noEntries.body)).toBeNull();
    const late = await multipart([['image', image(MAX_SCAN_BYTES)], ['entries', ENTRIES.clipVisual]]);
    expect(predictTaskOf(late.contentType, late.body)).toBeNull();
  });

  it('gives null for entries that are not one known task', () => {
    for (const bad of [
      'not json',
      '[]',
      'null',
      '{}',
      '{"clip":{}}',
      '{"clip":null}',
      '{"clip":{"visual":{},"textual":{}}}', // two tasks: their sum times neither
      '{"clip":{"visual":{}},"ocr":{"detection":{}}}',
      '{"clip":{"audio":{}}}',
      '{"ocr":{"translation":{}}}',
      '{"ocr":{}}',
      '{"speech":{"recognition":{}}}',
    ]) {
      expect(predictTaskOfEntries(bad), bad).toBeNull();
    }
    expect(predictTaskOfEntries('{"facial-recognition":{"detection":{}}}')).toBe('facial-recognition');
  });
});

describe('the latency sample', () => {
  it('a 2xx answer is a sample of its whole time; other answers and nonsense times are none', () => {
    expect(predictSampleOf({ startedAtMs: 100, endedAtMs: 142.5, status: 200, source: 'traffic', atMs: 7 })).toEqual({
      atMs: 7,
      source: 'traffic',
      genTokPerSec: null,
      promptTokPerSec: null,
      ttftMs: null,
      loadMs: null,
      latencyMs: 42.5,
    });
    for (const status of [0, 199, 300, 400, 422, 500, 503]) {
      expect(predictSampleOf({ startedAtMs: 0, endedAtMs: 1, status, source: 'traffic', atMs: 0 })).toBeNull();
    }
    expect(predictSampleOf({ startedAtMs: 10, endedAtMs: 5, status: 200, source: 'traffic', atMs: 0 })).toBeNull();
    expect(predictSampleOf({ startedAtMs: 0, endedAtMs: Number.NaN, status: 200, source: 'traffic', atMs: 0 })).toBeNull();
  });
});
