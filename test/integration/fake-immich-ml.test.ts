/**
 * The fake Immich ML checked with requests built exactly like the Immich server builds them
 * (machine-learning.repository.ts: global FormData, `entries` as a JSON string, the image appended
 * as a Blob without a filename; PROTOCOLS.md §2.2) and against the response/error shapes of §2.3–2.4.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeImmichMl } from '../fakes/fake-immich-ml.js';
import type { FakeImmichMl, FakeImmichMlOptions } from '../fakes/fake-immich-ml.js';

const CLIP_VISUAL = { clip: { visual: { modelName: 'ViT-B-32__openai' } } };
const CLIP_TEXTUAL = { clip: { textual: { modelName: 'ViT-B-32__openai', options: { language: 'en-US' } } } };
const FACES = { 'facial-recognition': { detection: { modelName: 'buffalo_l', options: { minScore: 0.7 } }, recognition: { modelName: 'buffalo_l' } } };
const OCR = {
  ocr: {
    detection: { modelName: 'PP-OCRv5_mobile', options: { minScore: 0.5, maxResolution: 736 } },
    recognition: { modelName: 'PP-OCRv5_mobile', options: { minScore: 0.8 } },
  },
};

const fakes: FakeImmichMl[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFake(opts: FakeImmichMlOptions = {}): Promise<FakeImmichMl> {
  const fake = createFakeImmichMl(opts);
  fakes.push(fake);
  await fake.start();
  return fake;
}

/** A PNG signature and IHDR chunk: enough for anything that reads the size from the header. */
function png(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b.writeUInt8(8, 24);
  return b;
}

/** SOI, an APP0 segment, then SOF0 carrying height and width. */
function jpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.alloc(19);
  sof.set([0xff, 0xc0, 0x00, 0x11, 8]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]);
}

/** As machine-learning.repository.ts does it. */
function immichForm(entries: unknown, input: { image?: Buffer; text?: string }): FormData {
  const form = new FormData();
  if (entries !== undefined) form.append('entries', typeof entries === 'string' ? entries : JSON.stringify(entries));
  if (input.image !== undefined) form.append('image', new Blob([new Uint8Array(input.image)]));
  else if (input.text !== undefined) form.append('text', input.text);
  return form;
}

function predict(fake: FakeImmichMl, entries: unknown, input: { image?: Buffer; text?: string }, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fake.url}/predict`, { method: 'POST', body: immichForm(entries, input), ...init });
}

function parseEmbedding(value: unknown): number[] {
  expect(typeof value).toBe('string');
  const parsed = JSON.parse(value as string) as unknown;
  expect(Array.isArray(parsed)).toBe(true);
  for (const n of parsed as unknown[]) expect(typeof n).toBe('number');
  return parsed as number[];
}

describe('fake Immich ML', () => {
  it('answers / and /ping like the FastAPI app', async () => {
    const fake = await startFake();
    const root = await fetch(fake.url);
    expect([root.status, root.headers.get('content-type'), await root.text()]).toEqual([200, 'application/json', '{"message":"Immich ML"}']);
    const ping = await fetch(`${fake.url}/ping`);
    expect([ping.status, ping.headers.get('content-type'), await ping.text()]).toEqual([200, 'text/plain; charset=utf-8', 'pong']);
    const wrong = await fetch(`${fake.url}/predict`);
    expect([wrong.status, wrong.headers.get('allow'), await wrong.text()]).toEqual([405, 'POST', '{"detail":"Method Not Allowed"}']);
    const missing = await fetch(`${fake.url}/nope`);
    expect([missing.status, await missing.text()]).toEqual([404, '{"detail":"Not Found"}']);
  });

  it('CLIP visual: the embedding is a string of 512 numbers, image size read from the PNG/JPEG header', async () => {
    const fake = await startFake();
    const res = await predict(fake, CLIP_VISUAL, { image: png(640, 480) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['clip', 'imageHeight', 'imageWidth']);
    expect([body['imageHeight'], body['imageWidth']]).toEqual([480, 640]);
    const vector = parseEmbedding(body['clip']);
    expect(vector).toHaveLength(512);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4);

    const fromJpeg = (await (await predict(fake, CLIP_VISUAL, { image: jpeg(1920, 1080) })).json()) as Record<string, unknown>;
    expect([fromJpeg['imageHeight'], fromJpeg['imageWidth']]).toEqual([1080, 1920]);
    const unknownBytes = (await (await predict(fake, CLIP_VISUAL, { image: Buffer.from('not an image') })).json()) as Record<string, unknown>;
    expect([unknownBytes['imageHeight'], unknownBytes['imageWidth']]).toEqual([1440, 1080]);

    // Same bytes, same embedding: caches and comparisons across fakes work.
    const again = (await (await predict(fake, CLIP_VISUAL, { image: png(640, 480) })).json()) as Record<string, unknown>;
    expect(again['clip']).toBe(body['clip']);
  });

  it('CLIP textual: only the clip string, no image dimensions', async () => {
    const fake = await startFake();
    const body = (await (await predict(fake, CLIP_TEXTUAL, { text: 'a dog on a beach' })).json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['clip']);
    expect(parseEmbedding(body['clip'])).toHaveLength(512);
  });

  it('facial recognition: faces with pixel boxes inside the image, embedding strings and scores ≥ minScore', async () => {
    const fake = await startFake({ faces: 2 });
    const body = (await (await predict(fake, FACES, { image: png(1000, 800) })).json()) as {
      'facial-recognition': { boundingBox: { x1: number; y1: number; x2: number; y2: number }; embedding: unknown; score: number }[];
      imageHeight: number;
      imageWidth: number;
    };
    const faces = body['facial-recognition'];
    expect(faces).toHaveLength(2);
    for (const face of faces) {
      expect(face.boundingBox.x1).toBeLessThan(face.boundingBox.x2);
      expect(face.boundingBox.y1).toBeLessThan(face.boundingBox.y2);
      expect(face.boundingBox.x2).toBeLessThanOrEqual(1000);
      expect(face.boundingBox.y2).toBeLessThanOrEqual(800);
      expect(face.score).toBeGreaterThanOrEqual(0.7);
      expect(parseEmbedding(face.embedding)).toHaveLength(512);
    }
    const strict = { 'facial-recognition': { ...FACES['facial-recognition'], detection: { modelName: 'buffalo_l', options: { minScore: 0.99 } } } };
    const none = (await (await predict(fake, strict, { image: png(1000, 800) })).json()) as Record<string, unknown>;
    expect(none).toEqual({ 'facial-recognition': [], imageHeight: 800, imageWidth: 1000 });
  });

  it('OCR: parallel arrays, 8 normalised box numbers per text', async () => {
    const fake = await startFake({ ocrTexts: ['HELLO', 'WORLD'] });
    const body = (await (await predict(fake, OCR, { image: png(800, 600) })).json()) as {
      ocr: { box: number[]; text: string[]; boxScore: number[]; textScore: number[] };
    };
    expect(body.ocr.text).toEqual(['HELLO', 'WORLD']);
    expect(body.ocr.box).toHaveLength(16);
    expect(body.ocr.boxScore).toHaveLength(2);
    expect(body.ocr.textScore).toHaveLength(2);
    for (const n of body.ocr.box) {
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(1);
    }
  });

  it('errors are FastAPI-shaped: 422 for bad or missing entries, 400 without image or text', async () => {
    const fake = await startFake();
    const cases: [unknown, { image?: Buffer; text?: string }, number, unknown][] = [
      ['{not json', { text: 'x' }, 422, { detail: 'Invalid request format.' }],
      ['[]', { text: 'x' }, 422, { detail: 'Invalid request format.' }],
      [{ clip: { visual: {} } }, { image: png(1, 1) }, 422, { detail: 'Invalid request format.' }],
      [undefined, { image: png(1, 1) }, 422, { detail: [{ type: 'missing', loc: ['body', 'entries'], msg: 'Field required', input: null }] }],
      [CLIP_VISUAL, {}, 400, { detail: 'Either image or text must be provided' }],
      [CLIP_VISUAL, { image: png(0, 10) }, 400, { detail: 'Image has zero width or height' }],
    ];
    for (const [entries, input, status, body] of cases) {
      const res = await predict(fake, entries, input);
      expect([res.status, res.headers.get('content-type'), await res.json()]).toEqual([status, 'application/json', body]);
    }
    const dependency = await predict(fake, { 'facial-recognition': { recognition: { modelName: 'buffalo_l' } } }, { image: png(2, 2) });
    expect(dependency.status).toBe(400);
    expect(((await dependency.json()) as { detail: string }).detail).toMatch(/^Task facial-recognition of type recognition depends on output of /);
    const unknownModel = await predict(fake, { clip: { visual: { modelName: 'no-such-model' } } }, { image: png(2, 2) });
    expect([unknownModel.status, unknownModel.headers.get('content-type'), await unknownModel.text()]).toEqual([
      500,
      'text/plain; charset=utf-8',
      'Internal Server Error',
    ]);
  });

  it('records each predict: tasks, input kind and the image part as the Immich server sends it', async () => {
    const fake = await startFake();
    await predict(fake, FACES, { image: png(10, 10) });
    await predict(fake, CLIP_TEXTUAL, { text: 'cat' });
    const [faces, text] = fake.calls;
    expect(faces?.tasks.map((t) => [t.task, t.type, t.modelName])).toEqual([
      ['facial-recognition', 'detection', 'buffalo_l'],
      ['facial-recognition', 'recognition', 'buffalo_l'],
    ]);
    expect(faces?.input).toBe('image');
    expect(faces?.image).toEqual({ bytes: 33, filename: 'blob', contentType: 'application/octet-stream' });
    expect(faces?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(text?.input).toBe('text');
    expect(text?.text).toBe('cat');
    expect(text?.tasks[0]?.options).toEqual({ language: 'en-US' });
  });

  it('a queued fault answers the next predict only', async () => {
    const fake = await startFake();
    fake.failNext({ kind: 'internal' });
    const failed = await predict(fake, CLIP_TEXTUAL, { text: 'x' });
    expect([failed.status, await failed.text()]).toEqual([500, 'Internal Server Error']);
    fake.failNext({ kind: 'status', status: 500, detail: "Failed to load model 'ViT-B-32__openai'" });
    const failedLoad = await predict(fake, CLIP_TEXTUAL, { text: 'x' });
    expect(await failedLoad.json()).toEqual({ detail: "Failed to load model 'ViT-B-32__openai'" });
    expect((await predict(fake, CLIP_TEXTUAL, { text: 'x' })).status).toBe(200);
  });

  it('hang mode: a client-side timeout aborts the predict, the fake keeps working and stop() completes', async () => {
    const fake = await startFake({ hang: true });
    await expect(predict(fake, CLIP_VISUAL, { image: png(4, 4) }, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const call = await fake.waitForCall((c) => c.path === '/predict' && c.aborted);
    expect(call.status).toBeUndefined();
    expect(call.tasks.map((t) => t.task)).toEqual(['clip']);
    expect(await (await fetch(`${fake.url}/ping`)).text()).toBe('pong');

    // One more hung request stays open while we stop: stop() must not wait for it.
    const stillHung = predict(fake, CLIP_VISUAL, { image: png(4, 4) }).then(
      () => 'answered',
      () => 'failed',
    );
    await fake.waitForCall((c) => c.path === '/predict' && !c.aborted);
    await fake.stop();
    expect(await stillHung).toBe('failed');
    expect(fake.pendingTimers).toBe(0);
  });

  it('delayMs holds the answer; an abort during the delay cancels its timer', async () => {
    const fake = await startFake({ delayMs: 60_000 });
    const controller = new AbortController();
    const pending = predict(fake, CLIP_TEXTUAL, { text: 'x' }, { signal: controller.signal });
    await fake.waitForCall((c) => c.path === '/predict' && c.input === 'text');
    expect(fake.pendingTimers).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await fake.waitForCall((c) => c.aborted);
    expect(fake.pendingTimers).toBe(0);
    fake.setDelayMs(0);
    expect((await predict(fake, CLIP_TEXTUAL, { text: 'x' })).status).toBe(200);
  });
});
