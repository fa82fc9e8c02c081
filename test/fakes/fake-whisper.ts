/**
 * A faithful fake of an OpenAI-compatible speech-to-text server, modelled on speaches (formerly
 * faster-whisper-server; FastAPI under uvicorn, default port 8000), for tests and demos of the
 * `whisper` kind (issue 13, PROTOCOLS.md §8). It does not decode audio: every file "says" `text`.
 *
 * Wire facts followed (speaches-ai/speaches @ 870e1e16a73452496e99d49f759eabd692a8e0e0, 2026-03-26,
 * with fastapi 0.121.1, starlette 0.41.3, pydantic 2.11.7, openai-python 2.29.0 from its uv.lock):
 * - `GET /health` → 200 `application/json` `{"message":"OK"}` (routers/misc.py `health`; older
 *   faster-whisper-server releases answered plain `OK`). No API key needed there.
 * - `GET /v1/models[?task=]` → `{"data":[{id, created, object:"model", owned_by, language, task:
 *   "automatic-speech-recognition"}],"object":"list"}` (routers/models.py `list_local_models`,
 *   api_types.py `Model`, executors/whisper.py: owned_by = id before the slash).
 *   `GET /v1/models/{id:path}` → that model, or 404 `{"detail":"Model '<id>' not found"}`.
 * - `POST /v1/audio/transcriptions` and `/v1/audio/translations`, multipart/form-data
 *   (routers/stt.py): `file` (required, UploadFile), `model` (required; aliases from
 *   model_aliases.json, `whisper-1` → `Systran/faster-whisper-large-v3`), `language`
 *   (transcriptions), `prompt`, `response_format` = `text|json|verbose_json|srt|vtt` (default
 *   `json`), `temperature` (float, default 0), `timestamp_granularities[]` (transcriptions; read
 *   from the raw form and asserted to be segment/word/both, else a plain 500), `stream`
 *   (transcriptions; pydantic bool).
 * - Answers (executors/whisper.py, text_utils.py): `json` → `{"text":...,"logprobs":null,"usage":null}`
 *   (translations: `{"text":...}`), `application/json`; `verbose_json` → `{duration, language, text,
 *   segments:[{id, avg_logprob, compression_ratio, end, no_speech_prob, seek, start, temperature,
 *   text, tokens}], usage, words}` (no `task` field, unlike OpenAI's own API; translations have no
 *   usage/words); `text` → `text/plain; charset=utf-8`; `srt` → `text/plain; charset=utf-8` (not
 *   application/x-subrip) with `1\n00:00:00,000 --> 00:00:01,500\n text\n\n` cues; `vtt` →
 *   `text/vtt; charset=utf-8`, `WEBVTT\n\n` then `00:00:00.000 --> ...` cues, first cue from 0.
 * - `stream=true` (transcriptions) ignores response_format and answers `text/event-stream;
 *   charset=utf-8`: `data: {"delta":...,"type":"transcript.text.delta","logprobs":null}\n\n` per
 *   segment, then `data: {"text":"","type":"transcript.text.done",...}\n\n`, then the body ends (no
 *   `[DONE]`).
 * - Errors (FastAPI): missing/invalid fields → 422 `{"detail":[{"type":"missing","loc":["body","file"],
 *   "msg":"Field required","input":null}, ...]}` (all at once, `file` first); the audio is checked
 *   before the other fields (dependencies.py): empty → 400 `{"detail":"Failed to decode audio. The
 *   provided file is likely empty."}`, not audio → 415 `"... The provided file type is not supported."`;
 *   model not installed → 404 `{"detail":"Model '<id>' is not installed locally. You can download the
 *   model using `POST /v1/models`"}` (routers/utils.py); unknown path → 404 `{"detail":"Not Found"}`;
 *   wrong method → 405 `{"detail":"Method Not Allowed"}`; unhandled → 500 text `Internal Server Error`;
 *   with `apiKey` set, no/wrong bearer → 403 `{"detail":"API key required. ..."}` / `"Invalid API key. ..."`.
 * - Not exact, or read but not run (no speaches here): the null `logprobs`/`usage` keys follow the
 *   openai-python types as stored, not checked against 2.29.0 itself; pydantic prints whole floats as
 *   `2.0` where we print `2`; the empty `text` of the done event is read from the source (a consumed
 *   generator), not observed. The openai npm client reads only `{"error": ...}` bodies, so FastAPI's
 *   `{"detail": ...}` reaches its users as "404 status code (no body)" (openai core/error.js).
 *
 * @example
 *   const stt = createFakeWhisper({ models: ['Systran/faster-whisper-small'], text: 'Hello there.' });
 *   await stt.start();
 *   // point the proxy under test (or the openai client, baseURL `${stt.url}/v1`) at stt.url
 *   await stt.stop();
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { createCallLog } from './shared/call-log.js';
import { createHttpHarness } from './shared/http-harness.js';
import type { Exchange } from './shared/http-harness.js';
import { withServerHandle } from './shared/server-handle.js';
import { createTimerSet } from './shared/timers.js';
import { probeAudio } from './whisper/audio.js';
import { getModel, listModels } from './whisper/models.js';
import { parseAudioForm, readForm, recordFields } from './whisper/form.js';
import { makeSegments, render, sseEvents } from './whisper/transcript.js';
import type { FakeWhisperFault, FakeWhisperOptions, WhisperCall, WhisperModelSpec, WhisperTask } from './whisper/types.js';

export type { FakeWhisperFault, FakeWhisperOptions, WhisperCall, WhisperModelSpec, WhisperTask } from './whisper/types.js';
export { silentWav } from './whisper/audio.js';

export interface FakeWhisper {
  start(): Promise<void>;
  /** Closes the server and destroys open connections (hung requests and streams included); idempotent. */
  stop(): Promise<void>;
  /** `http://127.0.0.1:PORT`; throws before the first start(). */
  readonly url: string;
  readonly port: number;
  /** Every request in arrival order; audio calls carry the form fields and the file's size and name. */
  readonly calls: WhisperCall[];
  waitForCall(predicate: (call: WhisperCall) => boolean, timeoutMs?: number): Promise<WhisperCall>;
  clearCalls(): void;
  setDelayMs(delayMs: number): void;
  setHang(hang: boolean): void;
  setText(text: string): void;
  /** Queues a one-shot fault for the next audio request. */
  failNext(fault: FakeWhisperFault): void;
  /** Timers still armed by the fake (0 after stop()). */
  readonly pendingTimers: number;
}

type WhisperExchange = Exchange<WhisperCall>;

/** Fixed routes (plus `/v1/models/{model_id:path}`). */
const ROUTES = new Set(['/health', '/v1/models', '/v1/audio/transcriptions', '/v1/audio/translations']);

/** Installed when `models` is not given; `whisper-1` (the default alias) resolves to the second. */
export const DEFAULT_WHISPER_MODELS: readonly string[] = ['Systran/faster-whisper-small', 'Systran/faster-whisper-large-v3'];
const DEFAULT_TEXT = 'The quick brown fox jumps over the lazy dog. It was a sunny day!';

function send(ex: WhisperExchange, status: number, headers: OutgoingHttpHeaders, body: string): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  ex.res.writeHead(status, { server: 'uvicorn', ...headers, 'content-length': Buffer.byteLength(body) });
  ex.res.end(body);
}
const sendJson = (ex: WhisperExchange, status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void =>
  send(ex, status, { 'content-type': 'application/json', ...headers }, JSON.stringify(value));
const sendInternal = (ex: WhisperExchange): void => send(ex, 500, { 'content-type': 'text/plain; charset=utf-8' }, 'Internal Server Error');

export function createFakeWhisper(opts: FakeWhisperOptions = {}): FakeWhisper {
  const timers = createTimerSet();
  const log = createCallLog<WhisperCall>();
  const faults: FakeWhisperFault[] = [];
  let delayMs = opts.delayMs ?? 0;
  let hang = opts.hang ?? false;
  let text = opts.text ?? DEFAULT_TEXT;
  const streamIntervalMs = opts.streamIntervalMs ?? 0;
  const language = opts.language ?? 'en';
  const fallbackDurationSec = opts.durationSec ?? 2;
  const acceptAnyBytes = opts.acceptAnyBytes ?? false;
  const aliases = opts.aliases ?? { 'whisper-1': 'Systran/faster-whisper-large-v3' };
  const models: WhisperModelSpec[] = (opts.models ?? DEFAULT_WHISPER_MODELS).map((m) => (typeof m === 'string' ? { id: m } : m));
  for (const m of models) if (m.id.trim() === '') throw new Error('fake-whisper: a model id must not be empty');
  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.|::1$|localhost$)/.test(host)) throw new Error(`fake-whisper listens on loopback only, not ${host}`);

  for (const [name, value] of Object.entries({ delayMs, streamIntervalMs, durationSec: fallbackDurationSec })) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`fake-whisper: ${name} must be a finite number >= 0, got ${String(value)}`);
  }

  const findModel = (id: string): WhisperModelSpec | undefined => models.find((m) => m.id === id);

  /** verify_api_key (HTTPBearer with auto_error=False: a non-Bearer header counts as none). */
  function authorized(ex: WhisperExchange): boolean {
    if (opts.apiKey === undefined) return true;
    const match = /^Bearer\s+(.+)$/i.exec(ex.req.headers.authorization ?? '');
    if (match?.[1] === opts.apiKey) return true;
    const detail = match === null
      ? 'API key required. Please provide an API key using the Authorization header with Bearer scheme.'
      : 'Invalid API key. The provided API key is incorrect.';
    sendJson(ex, 403, { detail }, { 'www-authenticate': 'Bearer' });
    return false;
  }

  async function audio(ex: WhisperExchange, task: WhisperTask): Promise<void> {
    const { call } = ex;
    call.task = task;
    const form = await readForm(ex.req.headers['content-type'], ex.body);
    if (ex.signal.aborted) return;
    if (form === undefined) {
      sendJson(ex, 400, { detail: 'There was an error parsing the body' });
      return;
    }
    call.fields = recordFields(form);
    const fileValue = form.get('file');
    if (fileValue instanceof File) call.file = { bytes: fileValue.size, filename: fileValue.name, contentType: fileValue.type === '' ? undefined : fileValue.type };
    log.changed();

    const fault = faults.shift();
    if (hang || fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      ex.req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      sendJson(ex, fault.status, { detail: fault.detail });
      return;
    }
    if (fault?.kind === 'internal') {
      sendInternal(ex);
      return;
    }

    const upload = form.get('file');
    const probe = upload instanceof File ? probeAudio(new Uint8Array(await upload.arrayBuffer()), upload.type, acceptAnyBytes) : undefined;
    if (ex.signal.aborted) return;
    const parsed = parseAudioForm(task, form, probe);
    if (parsed.kind === 'invalid') {
      sendJson(ex, 422, { detail: parsed.detail });
      return;
    }
    if (parsed.kind === 'status') {
      sendJson(ex, parsed.status, { detail: parsed.detail });
      return;
    }
    if (parsed.kind === 'internal') {
      sendInternal(ex);
      return;
    }
    const { request } = parsed;
    const model = aliases[request.model] ?? request.model;
    call.model = model;
    log.changed();
    if (findModel(model) === undefined) {
      sendJson(ex, 404, { detail: `Model '${model}' is not installed locally. You can download the model using \`POST /v1/models\`` });
      return;
    }
    const durationSec = parsed.durationSec ?? fallbackDurationSec;
    const transcript = {
      task,
      language: request.language ?? language,
      durationSec,
      segments: makeSegments(text, durationSec),
      words: request.granularities.includes('word'),
    };
    call.responseFormat = request.stream ? 'stream' : request.responseFormat;

    const respond = (): void => {
      if (!request.stream) {
        const rendered = render(transcript, request.responseFormat, request.temperature);
        send(ex, 200, { 'content-type': rendered.contentType }, rendered.body);
        return;
      }
      // StreamingResponse: chunked, no content-length.
      ex.res.writeHead(200, { server: 'uvicorn', 'content-type': 'text/event-stream; charset=utf-8' });
      const events = sseEvents(transcript);
      const next = (i: number): void => {
        if (ex.res.destroyed) return;
        const event = events[i];
        if (event === undefined) {
          ex.res.end();
          return;
        }
        ex.res.write(event);
        if (streamIntervalMs <= 0) next(i + 1);
        else {
          const cancel = timers.after(streamIntervalMs, () => next(i + 1));
          ex.signal.addEventListener('abort', cancel, { once: true });
        }
      };
      next(0);
    };
    if (delayMs <= 0) {
      respond();
      return;
    }
    const cancel = timers.after(delayMs, respond);
    ex.signal.addEventListener('abort', cancel, { once: true });
    log.changed(); // waiters on responseFormat see the delay timer armed
  }

  const harness = createHttpHarness<WhisperCall>({
    name: 'fake-whisper',
    host,
    port: opts.port ?? 0,
    // uvicorn's --timeout-keep-alive default is 5 s.
    keepAliveTimeoutMs: 5_000,
    log,
    makeCall(base, body) {
      return { ...base, contentType: base.headers['content-type'], bodyBytes: body.length };
    },
    async handle(ex) {
      const { path, method } = ex.call;
      if (path === '/health') {
        if (method === 'GET') sendJson(ex, 200, { message: 'OK' });
        else sendJson(ex, 405, { detail: 'Method Not Allowed' }, { allow: 'GET' });
        return;
      }
      const slashless = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : undefined;
      // Starlette redirect_slashes, only when no route matched (`/v1/models/` matches the :path route).
      if (slashless !== undefined && ROUTES.has(slashless) && !path.startsWith('/v1/models/')) {
        send(ex, 307, { location: `http://${ex.req.headers.host ?? host}${slashless}${ex.call.url.slice(path.length)}` }, '');
        return;
      }
      const audioTask: WhisperTask | undefined =
        path === '/v1/audio/transcriptions' ? 'transcribe' : path === '/v1/audio/translations' ? 'translate' : undefined;
      const isModels = path === '/v1/models' || path.startsWith('/v1/models/');
      if (audioTask === undefined && !isModels) {
        sendJson(ex, 404, { detail: 'Not Found' });
        return;
      }
      // speaches' /v1/models/{id} also takes POST (download) and DELETE; the fake serves reads only.
      const allowed = audioTask !== undefined ? 'POST' : 'GET';
      if (method !== allowed) {
        sendJson(ex, 405, { detail: 'Method Not Allowed' }, { allow: allowed });
        return;
      }
      if (!authorized(ex)) return;
      if (audioTask !== undefined) await audio(ex, audioTask);
      else {
        const answer = path === '/v1/models' ? listModels(models, ex.call.url) : getModel(models, aliases, path.slice('/v1/models/'.length));
        sendJson(ex, answer.status, answer.body);
      }
    },
    onStop() {
      timers.clearAll();
    },
  });

  return withServerHandle(harness, log, {
    setDelayMs(ms) {
      delayMs = ms;
    },
    setHang(value) {
      hang = value;
    },
    setText(value) {
      text = value;
    },
    failNext(fault) {
      faults.push(fault);
    },
    get pendingTimers() {
      return timers.size;
    },
  });
}
