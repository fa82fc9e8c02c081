/**
 * The fake speech-to-text server checked with the official `openai` npm client (the client users
 * point at speaches) for every response_format, with raw fetch for FastAPI's error shapes and the
 * SSE framing, and as a child process through `npm run fake:whisper` (test/fakes/cli.ts).
 * Wire facts: the header of test/fakes/fake-whisper.ts (speaches @ 870e1e16) and PROTOCOLS.md §8.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import OpenAI, { APIUserAbortError, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeWhisper, silentWav } from '../fakes/fake-whisper.js';
import { probeAudio, wavDurationSec } from '../fakes/whisper/audio.js';
import { makeSegments, toSrt, toVtt } from '../fakes/whisper/transcript.js';
import type { FakeWhisper, FakeWhisperOptions } from '../fakes/fake-whisper.js';

const SMALL = 'Systran/faster-whisper-small';
const TEXT = 'Turn on the kitchen lights. Then play some music!';

const fakes: FakeWhisper[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFake(opts: FakeWhisperOptions = {}): Promise<FakeWhisper> {
  const fake = createFakeWhisper({ models: [SMALL], text: TEXT, ...opts });
  fakes.push(fake);
  await fake.start();
  return fake;
}

const client = (fake: FakeWhisper, apiKey = 'unused'): OpenAI => new OpenAI({ baseURL: `${fake.url}/v1`, apiKey, maxRetries: 0 });
const wav = (seconds: number): Promise<File> => toFile(silentWav(seconds), 'kitchen.wav', { type: 'audio/wav' });

/** A multipart request built by hand (fields in order; `file` as a Blob part when given). */
function form(fields: Record<string, string | string[]>, file?: { bytes: Uint8Array; name: string }): FormData {
  const f = new FormData();
  if (file !== undefined) f.append('file', new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }), file.name);
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) f.append(name, v);
  return f;
}
const post = (fake: FakeWhisper, path: string, body: FormData, init: RequestInit = {}): Promise<Response> =>
  fetch(`${fake.url}${path}`, { method: 'POST', body, ...init });

describe('fake whisper (speaches) with the official openai client', () => {
  it('json (default): {"text"} with the stripped text; the call log has the fields and the file size, not the audio', async () => {
    const fake = await startFake();
    const result = await client(fake).audio.transcriptions.create({ file: await wav(1.5), model: SMALL, language: 'en', prompt: 'lights', temperature: 0.2 });
    expect(result).toEqual({ text: TEXT, logprobs: null, usage: null });
    const call = await fake.waitForCall((c) => c.path === '/v1/audio/transcriptions' && c.finished);
    expect(call).toMatchObject({ method: 'POST', status: 200, task: 'transcribe', model: SMALL, responseFormat: 'json' });
    expect(call.fields).toEqual({ model: SMALL, language: 'en', prompt: 'lights', temperature: '0.2' });
    expect(call.file).toEqual({ bytes: 44 + 1.5 * 32_000, filename: 'kitchen.wav', contentType: 'audio/wav' });
    expect(JSON.stringify(call)).not.toContain('RIFF');
  });

  it('verbose_json: duration from the WAV header, language, segments per sentence, words when asked for', async () => {
    const fake = await startFake();
    const result = await client(fake).audio.transcriptions.create({
      file: await wav(3),
      model: SMALL,
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
      temperature: 0.4,
    });
    expect(Object.keys(result)).toEqual(['duration', 'language', 'text', 'segments', 'usage', 'words']);
    expect(result).toMatchObject({ duration: 3, language: 'en', text: TEXT });
    expect(result.segments?.map((s) => [s.id, s.text, s.temperature])).toEqual([[0, ' Turn on the kitchen lights.', 0.4], [1, ' Then play some music!', 0.4]]);
    expect(Object.keys(result.segments?.[0] ?? {})).toEqual(['id', 'avg_logprob', 'compression_ratio', 'end', 'no_speech_prob', 'seek', 'start', 'temperature', 'text', 'tokens']);
    expect(result.segments?.[0]?.start).toBe(0);
    expect(result.segments?.at(-1)?.end).toBe(3);
    expect(result.words?.map((w) => w.word).join('')).toBe(` ${TEXT}`);
    const call = await fake.waitForCall((c) => c.responseFormat === 'verbose_json');
    expect(call.fields?.['timestamp_granularities[]']).toEqual(['word', 'segment']);

    const noWords = await client(fake).audio.transcriptions.create({ file: await wav(1), model: SMALL, response_format: 'verbose_json', language: 'de' });
    expect(noWords).toMatchObject({ language: 'de', words: null, usage: null });
  });

  it('text, srt and vtt are plain text with speaches\' content types and cue formats', async () => {
    const fake = await startFake();
    const openai = client(fake);
    const text = await openai.audio.transcriptions.create({ file: await wav(2), model: SMALL, response_format: 'text' });
    expect(text).toBe(TEXT);
    const srt = await openai.audio.transcriptions.create({ file: await wav(65.5), model: SMALL, response_format: 'srt' });
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:36,840\n Turn on the kitchen lights.\n\n2\n00:00:36,840 --> 00:01:05,500\n Then play some music!\n\n');
    const vtt = await openai.audio.transcriptions.create({ file: await wav(2), model: SMALL, response_format: 'vtt' });
    expect(vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.130\n Turn on the kitchen lights.\n\n00:00:01.130 --> 00:00:02.000\n Then play some music!\n\n');

    const body = (format: string): FormData => form({ model: SMALL, response_format: format }, { bytes: silentWav(1), name: 'a.wav' });
    const types: (string | null)[] = [];
    for (const format of ['json', 'verbose_json', 'text', 'srt', 'vtt']) types.push((await post(fake, '/v1/audio/transcriptions', body(format))).headers.get('content-type'));
    expect(types).toEqual(['application/json', 'application/json', 'text/plain; charset=utf-8', 'text/plain; charset=utf-8', 'text/vtt; charset=utf-8']);
  });

  it('translations: json is only {"text"}, verbose_json has no usage/words; language and stream are not fields there', async () => {
    const fake = await startFake({ text: 'Hello everyone.' });
    const openai = client(fake);
    expect(await openai.audio.translations.create({ file: await wav(1), model: SMALL })).toEqual({ text: 'Hello everyone.' });
    const verbose = await openai.audio.translations.create({ file: await wav(1), model: SMALL, response_format: 'verbose_json' });
    expect(Object.keys(verbose)).toEqual(['duration', 'language', 'text', 'segments']);
    const res = await post(fake, '/v1/audio/translations', form({ model: SMALL, stream: 'true', language: 'xx' }, { bytes: silentWav(1), name: 'a.wav' }));
    expect([res.status, res.headers.get('content-type'), await res.json()]).toEqual([200, 'application/json', { text: 'Hello everyone.' }]);
    expect((await fake.waitForCall((c) => c.task === 'translate' && c.finished && c.fields?.['stream'] === 'true')).responseFormat).toBe('json');
  });

  it('models: /v1/models lists installed ones, /v1/models/{id} finds one (aliases too), /health answers', async () => {
    const fake = await startFake({ models: [SMALL, { id: 'Systran/faster-whisper-large-v3', createdSec: 1_720_000_000, language: ['en', 'de'] }] });
    const list = await client(fake).models.list();
    expect(list.data.map((m) => m.id)).toEqual([SMALL, 'Systran/faster-whisper-large-v3']);
    const raw: unknown = await (await fetch(`${fake.url}/v1/models`)).json();
    expect(raw).toEqual({
      data: [
        { id: SMALL, created: 1_700_000_000, object: 'model', owned_by: 'Systran', language: [], task: 'automatic-speech-recognition' },
        { id: 'Systran/faster-whisper-large-v3', created: 1_720_000_000, object: 'model', owned_by: 'Systran', language: ['en', 'de'], task: 'automatic-speech-recognition' },
      ],
      object: 'list',
    });
    expect(await (await fetch(`${fake.url}/v1/models?task=text-to-speech`)).json()).toEqual({ data: [], object: 'list' });
    expect((await fetch(`${fake.url}/v1/models?task=nope`)).status).toBe(422);
    expect((await client(fake).models.retrieve(SMALL)).id).toBe(SMALL);
    expect(await (await fetch(`${fake.url}/v1/models/whisper-1`)).json()).toMatchObject({ id: 'Systran/faster-whisper-large-v3' });
    const missing = await fetch(`${fake.url}/v1/models/Systran/nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { detail: "Model 'Systran/nope' not found" }]);
    const health = await fetch(`${fake.url}/health`);
    expect([health.status, health.headers.get('content-type'), await health.text()]).toEqual([200, 'application/json', '{"message":"OK"}']);
    expect((await fetch(`${fake.url}/v1/audio/speech`, { method: 'POST' })).status).toBe(404);
    const wrongMethod = await fetch(`${fake.url}/v1/audio/transcriptions`);
    expect([wrongMethod.status, await wrongMethod.json()]).toEqual([405, { detail: 'Method Not Allowed' }]);
  });

  it('an unknown model is speaches\' 404 (after alias resolution); the openai client drops a {"detail"} body', async () => {
    const fake = await startFake();
    // openai-node reads only `body.error` (core/error.js APIError.generate), so FastAPI's
    // {"detail": ...} reaches its users as "404 status code (no body)".
    await expect(client(fake).audio.transcriptions.create({ file: await wav(1), model: 'whisper-1' })).rejects.toMatchObject({
      status: 404,
      error: undefined,
      message: '404 status code (no body)',
    });
    const raw = await post(fake, '/v1/audio/transcriptions', form({ model: 'whisper-1' }, { bytes: silentWav(1), name: 'a.wav' }));
    expect([raw.status, await raw.json()]).toEqual([
      404,
      { detail: "Model 'Systran/faster-whisper-large-v3' is not installed locally. You can download the model using `POST /v1/models`" },
    ]);
    expect(fake.calls.map((c) => c.model)).toEqual(['Systran/faster-whisper-large-v3', 'Systran/faster-whisper-large-v3']);
  });
});

describe('fake whisper: FastAPI errors with raw fetch', () => {
  it('missing file and model → one 422 listing both, file first; a missing model alone names only it', async () => {
    const fake = await startFake();
    const both = await post(fake, '/v1/audio/transcriptions', form({ language: 'en' }));
    expect([both.status, both.headers.get('content-type'), await both.json()]).toEqual([
      422,
      'application/json',
      {
        detail: [
          { type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null },
          { type: 'missing', loc: ['body', 'model'], msg: 'Field required', input: null },
        ],
      },
    ]);
    const noModel = await post(fake, '/v1/audio/translations', form({ model: '' }, { bytes: silentWav(1), name: 'a.wav' }));
    expect([noModel.status, await noModel.json()]).toEqual([422, { detail: [{ type: 'missing', loc: ['body', 'model'], msg: 'Field required', input: null }] }]);
    const noFile = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL }));
    expect(await noFile.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null }] });
    const notMultipart = await fetch(`${fake.url}/v1/audio/transcriptions`, { method: 'POST', body: '{"model":"x"}', headers: { 'content-type': 'application/json' } });
    expect(((await notMultipart.json()) as { detail: unknown[] }).detail).toHaveLength(2);
    const broken = await fetch(`${fake.url}/v1/audio/transcriptions`, { method: 'POST', body: '--xyz\r\nnonsense', headers: { 'content-type': 'multipart/form-data; boundary=xyz' } });
    expect([broken.status, await broken.json()]).toEqual([400, { detail: 'There was an error parsing the body' }]);
  });

  it('bad values: response_format, temperature, stream, file as text → 422 items; empty file → 400; bad granularities → 500', async () => {
    const fake = await startFake();
    const audio = { bytes: silentWav(1), name: 'a.wav' };
    const bad = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL, response_format: 'xml', temperature: 'warm', stream: 'maybe' }, audio));
    const expected = "'text', 'json', 'verbose_json', 'srt' or 'vtt'";
    expect([bad.status, await bad.json()]).toEqual([
      422,
      {
        detail: [
          { type: 'literal_error', loc: ['body', 'response_format'], msg: `Input should be ${expected}`, input: 'xml', ctx: { expected } },
          { type: 'float_parsing', loc: ['body', 'temperature'], msg: 'Input should be a valid number, unable to parse string as a number', input: 'warm' },
          { type: 'bool_parsing', loc: ['body', 'stream'], msg: 'Input should be a valid boolean, unable to interpret input', input: 'maybe' },
        ],
      },
    ]);
    const textFile = await post(fake, '/v1/audio/transcriptions', form({ file: 'not a file', model: SMALL }));
    expect(((await textFile.json()) as { detail: { type: string }[] }).detail.map((d) => d.type)).toEqual(['value_error']);
    // The audio dependency runs before body validation: an empty file wins over a missing model.
    const empty = await post(fake, '/v1/audio/transcriptions', form({}, { bytes: new Uint8Array(0), name: 'a.wav' }));
    expect([empty.status, await empty.json()]).toEqual([400, { detail: 'Failed to decode audio. The provided file is likely empty.' }]);
    const granularity = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL, 'timestamp_granularities[]': 'sentence' }, audio));
    expect([granularity.status, await granularity.text()]).toEqual([500, 'Internal Server Error']);
  });

  it('apiKey: 403 without or with a wrong bearer token; /health stays open', async () => {
    const fake = await startFake({ apiKey: 'sk-local' });
    const none = await fetch(`${fake.url}/v1/models`);
    expect([none.status, none.headers.get('www-authenticate'), ((await none.json()) as { detail: string }).detail]).toEqual([
      403,
      'Bearer',
      'API key required. Please provide an API key using the Authorization header with Bearer scheme.',
    ]);
    await expect(client(fake, 'sk-wrong').models.list()).rejects.toMatchObject({ status: 403 });
    const wrong = await fetch(`${fake.url}/v1/models`, { headers: { authorization: 'Bearer sk-wrong' } });
    expect(await wrong.json()).toEqual({ detail: 'Invalid API key. The provided API key is incorrect.' });
    expect((await fetch(`${fake.url}/v1/models`, { headers: { authorization: 'Basic sk-local' } })).status).toBe(403);
    expect((await client(fake, 'sk-local').models.list()).data).toHaveLength(1);
    expect((await fetch(`${fake.url}/health`)).status).toBe(200);
  });
});

describe('fake whisper: the audio upload', () => {
  it('not audio → 415, odd raw PCM → 500, before the other fields; raw PCM and MP3 are accepted; acceptAnyBytes opts out', async () => {
    const fake = await startFake();
    const junk = await post(fake, '/v1/audio/transcriptions', form({}, { bytes: new TextEncoder().encode('hello, not audio'), name: 'a.txt' }));
    expect([junk.status, await junk.json()]).toEqual([415, { detail: 'Failed to decode audio. The provided file type is not supported.' }]);

    const pcm = (n: number): FormData => {
      const f = new FormData();
      f.append('file', new Blob([new Uint8Array(n)], { type: 'audio/pcm' }), 'mic.pcm');
      f.append('model', SMALL);
      f.append('response_format', 'verbose_json');
      return f;
    };
    const odd = await post(fake, '/v1/audio/transcriptions', pcm(3));
    expect([odd.status, await odd.json()]).toEqual([500, { detail: 'Failed to decode audio.' }]);
    expect(await (await post(fake, '/v1/audio/transcriptions', pcm(16_000 * 2 * 5))).json()).toMatchObject({ duration: 5 });

    const mp3 = Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]);
    expect(await (await post(fake, '/v1/audio/transcriptions', form({ model: SMALL, response_format: 'verbose_json' }, { bytes: mp3, name: 'a.mp3' }))).json()).toMatchObject({ duration: 2 });

    const lenient = await startFake({ acceptAnyBytes: true, durationSec: 7 });
    const any = await post(lenient, '/v1/audio/transcriptions', form({ model: SMALL, response_format: 'verbose_json' }, { bytes: new Uint8Array([1, 2, 3]), name: 'x' }));
    expect([any.status, ((await any.json()) as { duration: number }).duration]).toEqual([200, 7]);
  });

  it('WAV length comes from the header, skipping other (padded) chunks; non-WAV gives undefined', () => {
    const plain = silentWav(0.5);
    expect(wavDurationSec(plain)).toBe(0.5);
    // A LIST chunk of odd size (with its pad byte) between fmt and data, as some encoders write.
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const withList = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
    expect(wavDurationSec(withList)).toBe(0.5);
    expect(wavDurationSec(Buffer.from('RIFF....WAVEjunk'))).toBeUndefined();
    expect(probeAudio(Buffer.from('OggS\0\x02'), 'audio/ogg', false)).toEqual({ kind: 'ok', durationSec: undefined });
  });

  it('srt/vtt clocks carry hours and milliseconds; text without punctuation is one segment; no text is none', () => {
    const segments = makeSegments('One long dictation without a full stop', 3725.5);
    expect(segments).toHaveLength(1);
    expect(toSrt(segments)).toBe('1\n00:00:00,000 --> 01:02:05,500\n One long dictation without a full stop\n\n');
    const two = makeSegments('A. B.', 7322.25); // times are kept to centiseconds: 3661.125 → 3661.13
    expect(toVtt(two)).toBe('WEBVTT\n\n00:00:00.000 --> 01:01:01.130\n A.\n\n01:01:01.130 --> 02:02:02.250\n B.\n\n');
    expect(makeSegments('', 3)).toEqual([]);
  });

  it('Starlette redirects a trailing slash (307); /v1/models/ is the :path route with an empty id (422)', async () => {
    const fake = await startFake();
    const res = await fetch(`${fake.url}/v1/audio/transcriptions/?x=1`, { method: 'POST', redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([307, `${fake.url}/v1/audio/transcriptions?x=1`]);
    const followed = await fetch(`${fake.url}/health/`);
    expect([followed.status, followed.redirected]).toEqual([200, true]);
    const empty = await fetch(`${fake.url}/v1/models/`);
    expect([empty.status, ((await empty.json()) as { detail: { type: string }[] }).detail[0]?.type]).toEqual([422, 'string_too_short']);
  });
});

describe('fake whisper: streaming, faults, lifecycle', () => {
  it('stream=true: one SSE delta per segment, then transcript.text.done, then the body ends (no [DONE])', async () => {
    const fake = await startFake({ streamIntervalMs: 20 });
    const res = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL, stream: 'true', response_format: 'srt' }, { bytes: silentWav(1), name: 'a.wav' }));
    expect([res.status, res.headers.get('content-type'), res.headers.get('content-length')]).toEqual([200, 'text/event-stream; charset=utf-8', null]);
    expect(await res.text()).toBe(
      'data: {"delta":" Turn on the kitchen lights.","type":"transcript.text.delta","logprobs":null}\n\n' +
        'data: {"delta":" Then play some music!","type":"transcript.text.delta","logprobs":null}\n\n' +
        'data: {"text":"","type":"transcript.text.done","logprobs":null,"usage":null}\n\n',
    );
    expect((await fake.waitForCall((c) => c.responseFormat === 'stream' && c.finished)).status).toBe(200);

    const events: unknown[] = [];
    const stream = await client(fake).audio.transcriptions.create({ file: await wav(1), model: SMALL, stream: true });
    for await (const event of stream) events.push(event);
    expect(events.map((e) => (e as { type: string }).type)).toEqual(['transcript.text.delta', 'transcript.text.delta', 'transcript.text.done']);
    expect(fake.pendingTimers).toBe(0);
  });

  it('failNext: a one-shot 500 (as {"detail"} or plain), a reset, then normal answers again', async () => {
    const fake = await startFake();
    const openai = client(fake);
    fake.failNext({ kind: 'status', status: 500, detail: 'CUDA out of memory' });
    await expect(openai.audio.transcriptions.create({ file: await wav(1), model: SMALL })).rejects.toMatchObject({ status: 500 });
    fake.failNext({ kind: 'status', status: 503, detail: 'busy' });
    const detail = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL }, { bytes: silentWav(1), name: 'a.wav' }));
    expect([detail.status, await detail.json()]).toEqual([503, { detail: 'busy' }]);
    fake.failNext({ kind: 'internal' });
    const plain = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL }, { bytes: silentWav(1), name: 'a.wav' }));
    expect([plain.status, await plain.text()]).toEqual([500, 'Internal Server Error']);
    fake.failNext({ kind: 'reset' });
    await expect(post(fake, '/v1/audio/transcriptions', form({ model: SMALL }, { bytes: silentWav(1), name: 'a.wav' }))).rejects.toThrow();
    expect((await openai.audio.transcriptions.create({ file: await wav(1), model: SMALL })).text).toBe(TEXT);
    expect(fake.calls.filter((c) => c.task === 'transcribe').map((c) => c.status)).toEqual([500, 503, 500, undefined, 200]);
  });

  it('hang mode: the client aborts cleanly, the fake records it, keeps answering /health, and stop() ends a still-hung request', async () => {
    const fake = await startFake({ hang: true });
    const openai = client(fake);
    const controller = new AbortController();
    const pending = openai.audio.transcriptions.create({ file: await wav(1), model: SMALL }, { signal: controller.signal });
    await fake.waitForCall((c) => c.task === 'transcribe' && c.file !== undefined);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    const call = await fake.waitForCall((c) => c.task === 'transcribe' && c.aborted);
    expect(call.status).toBeUndefined();
    expect((await fetch(`${fake.url}/health`)).status).toBe(200);

    const stillHung = post(fake, '/v1/audio/transcriptions', form({ model: SMALL }, { bytes: silentWav(1), name: 'b.wav' })).then(
      () => 'answered',
      () => 'failed',
    );
    await fake.waitForCall((c) => c.file?.filename === 'b.wav');
    await fake.stop();
    expect(await stillHung).toBe('failed');
    fake.setHang(false);
  });

  it('delayMs holds the answer; an abort during the delay cancels its timer', async () => {
    const fake = await startFake({ delayMs: 60_000 });
    const controller = new AbortController();
    const pending = post(fake, '/v1/audio/transcriptions', form({ model: SMALL }, { bytes: silentWav(1), name: 'a.wav' }), { signal: controller.signal });
    await fake.waitForCall((c) => c.responseFormat === 'json');
    expect(fake.pendingTimers).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await fake.waitForCall((c) => c.aborted);
    expect(fake.pendingTimers).toBe(0);
    fake.setDelayMs(0);
    fake.setText('Done.');
    expect((await client(fake).audio.transcriptions.create({ file: await wav(1), model: SMALL })).text).toBe('Done.');
  });

  it('stop() leaves nothing running: the port refuses, no timers, stop is idempotent, start reuses the port', async () => {
    const fake = await startFake({ streamIntervalMs: 60_000 });
    const url = fake.url;
    const open = await post(fake, '/v1/audio/transcriptions', form({ model: SMALL, stream: 'true' }, { bytes: silentWav(1), name: 'a.wav' }));
    const reader = open.body?.getReader();
    expect(new TextDecoder().decode((await reader?.read())?.value)).toContain('transcript.text.delta');
    expect(fake.pendingTimers).toBe(1);
    await fake.stop();
    await fake.stop();
    expect(fake.pendingTimers).toBe(0);
    await expect(reader?.read()).rejects.toThrow();
    await expect(fetch(`${url}/health`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await fake.start();
    expect(fake.url).toBe(url);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('refuses a non-loopback host, an empty model id and negative or NaN times', () => {
    expect(() => createFakeWhisper({ host: '0.0.0.0' })).toThrow(/loopback only/);
    expect(() => createFakeWhisper({ models: [' '] })).toThrow(/must not be empty/);
    expect(() => createFakeWhisper({ delayMs: -1 })).toThrow(/delayMs must be a finite number >= 0, got -1/);
    expect(() => createFakeWhisper({ durationSec: Number.NaN })).toThrow(/durationSec must be/);
  });
});

describe('npm run fake:whisper', () => {
  /** The package.json script's command, run directly so the test signals node itself, not npm. */
  function runCli(args: string[]): ChildProcess {
    const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts['fake:whisper'];
    expect(script).toBe('node --import tsx test/fakes/cli.ts whisper');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/cli.ts', 'whisper', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  }
  const output = (stream: NodeJS.ReadableStream | null): { text: string } => {
    const out = { text: '' };
    stream?.on('data', (chunk: Buffer) => (out.text += chunk.toString()));
    return out;
  };

  it('--port 0 --models a,b --text --accept-any-bytes prints the URL, serves those models and that text, and exits 0 on SIGTERM', async () => {
    const child = runCli(['--port', '0', '--models', 'Systran/faster-whisper-tiny, deepdml/faster-whisper-large-v3-turbo-ct2', '--text', 'Hi there.', '--accept-any-bytes']);
    const stdout = output(child.stdout);
    const stderr = output(child.stderr);
    const [line] = (await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', () => {
        if (stdout.text.includes('\n')) resolve(stdout.text);
      });
      child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${stderr.text}`)));
    })).split('\n');
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const models = (await (await fetch(`${line ?? ''}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['Systran/faster-whisper-tiny', 'deepdml/faster-whisper-large-v3-turbo-ct2']);
    const body = form({ model: 'Systran/faster-whisper-tiny', response_format: 'text' }, { bytes: new Uint8Array([1, 2, 3]), name: 'x.bin' });
    expect(await (await fetch(`${line ?? ''}/v1/audio/transcriptions`, { method: 'POST', body })).text()).toBe('Hi there.');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stderr.text).toContain('SIGTERM: stopping');
  });

  it('bad arguments print the usage and exit 2', async () => {
    const child = runCli(['--port', '0', '--models', ' , ']);
    const stderr = output(child.stderr);
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr.text).toContain('--models needs at least one model id');
    expect(stderr.text).toContain('cli.ts whisper --port N');
  });
});
