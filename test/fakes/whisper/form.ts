/**
 * The form parameters of speaches' audio routes and FastAPI's validation of them, in the order
 * FastAPI applies it. Sources: speaches-ai/speaches @ 870e1e16 src/speaches/routers/stt.py
 * (transcribe_file, translate_file, get_timestamp_granularities), src/speaches/dependencies.py
 * (audio_file_dependency), src/speaches/api_types.py (TIMESTAMP_GRANULARITIES_COMBINATIONS);
 * FastAPI 0.121 / pydantic 2.11 error items `{type, loc, msg, input[, ctx]}`.
 *
 * Order: the `file` dependency is solved first; when `file` is a valid upload, the dependency runs
 * at once and an undecodable file fails (400/415/500) before any other field is checked. Then every body field
 * is validated and all problems are answered together as one 422. Only then does the route body run:
 * a bad `timestamp_granularities[]` trips an `assert` (plain 500), an unknown model gives 404.
 */
import type { AudioProbe } from './audio.js';
import { RESPONSE_FORMATS } from './transcript.js';
import type { ResponseFormat } from './transcript.js';
import type { WhisperTask } from './types.js';

export interface ValidationItem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export interface AudioRequest {
  task: WhisperTask;
  file: File;
  /** As sent (alias resolution happens in the fake, which knows the aliases). */
  model: string;
  language: string | undefined;
  prompt: string | undefined;
  responseFormat: ResponseFormat;
  temperature: number;
  granularities: string[];
  stream: boolean;
}

export type FormResult =
  | { kind: 'ok'; request: AudioRequest; durationSec: number | undefined }
  | { kind: 'invalid'; detail: ValidationItem[] }
  /** An HTTPException raised by the audio dependency. */
  | { kind: 'status'; status: number; detail: string }
  /** An unhandled exception (the granularities assert). */
  | { kind: 'internal' };

/** FastAPI treats an empty string in a Form/File field as "not sent". */
function formValue(form: FormData, name: string): FormDataEntryValue | undefined {
  const value = form.get(name);
  return value === null || value === '' ? undefined : value;
}

const missing = (field: string): ValidationItem => ({ type: 'missing', loc: ['body', field], msg: 'Field required', input: null });

/** pydantic's str → bool table (case-insensitive). */
const TRUE = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE = new Set(['0', 'off', 'f', 'false', 'n', 'no']);
const FLOAT = /^\s*[+-]?(\d+(_\d+)*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A plain-string Form field; a file part sent under a text field's name counts as not sent (a simplification). */
function str(form: FormData, name: string): string | undefined {
  const value = formValue(form, name);
  return typeof value === 'string' ? value : undefined;
}

/**
 * `probe` is what the audio dependency made of the `file` part (see audio.ts); it only counts when
 * `file` is a real upload, since the dependency is not called otherwise.
 */
export function parseAudioForm(task: WhisperTask, form: FormData, probe: AudioProbe | undefined): FormResult {
  const errors: ValidationItem[] = [];
  const fileValue = formValue(form, 'file');
  let file: File | undefined;
  if (fileValue === undefined) errors.push(missing('file'));
  else if (typeof fileValue === 'string') {
    errors.push({ type: 'value_error', loc: ['body', 'file'], msg: "Value error, Expected UploadFile, received: <class 'str'>", input: fileValue, ctx: { error: {} } });
  } else {
    if (probe?.kind === 'status') return probe;
    file = fileValue;
  }

  const model = str(form, 'model');
  if (model === undefined) errors.push(missing('model'));
  const language = task === 'transcribe' ? str(form, 'language') : undefined;
  const prompt = str(form, 'prompt');

  const formatRaw = str(form, 'response_format') ?? 'json';
  const responseFormat = RESPONSE_FORMATS.find((f) => f === formatRaw);
  if (responseFormat === undefined) {
    const expected = "'text', 'json', 'verbose_json', 'srt' or 'vtt'";
    errors.push({ type: 'literal_error', loc: ['body', 'response_format'], msg: `Input should be ${expected}`, input: formatRaw, ctx: { expected } });
  }

  const temperatureRaw = str(form, 'temperature');
  let temperature = 0;
  if (temperatureRaw !== undefined) {
    if (FLOAT.test(temperatureRaw)) temperature = Number(temperatureRaw.replaceAll('_', ''));
    else errors.push({ type: 'float_parsing', loc: ['body', 'temperature'], msg: 'Input should be a valid number, unable to parse string as a number', input: temperatureRaw });
  }

  let stream = false;
  const streamRaw = task === 'transcribe' ? str(form, 'stream') : undefined;
  if (streamRaw !== undefined) {
    const lowered = streamRaw.trim().toLowerCase();
    if (TRUE.has(lowered)) stream = true;
    else if (!FALSE.has(lowered)) errors.push({ type: 'bool_parsing', loc: ['body', 'stream'], msg: 'Input should be a valid boolean, unable to interpret input', input: streamRaw });
  }

  if (errors.length > 0 || file === undefined || model === undefined || responseFormat === undefined) return { kind: 'invalid', detail: errors };

  // get_timestamp_granularities reads the raw form (transcriptions only) and asserts the combination.
  let granularities = ['segment'];
  if (task === 'transcribe' && form.get('timestamp_granularities[]') !== null) {
    granularities = form.getAll('timestamp_granularities[]').map((v) => (typeof v === 'string' ? v : v.name));
    const allowed = ['segment', 'word', 'word,segment', 'segment,word'];
    if (!allowed.includes(granularities.join(','))) return { kind: 'internal' };
  }
  return { kind: 'ok', request: { task, file, model, language, prompt, responseFormat, temperature, granularities, stream }, durationSec: probe?.kind === 'ok' ? probe.durationSec : undefined };
}

/**
 * Starlette's form parsing: multipart or urlencoded bodies become a FormData; any other content type
 * an empty form (→ 422 missing fields); a malformed multipart body `undefined` (FastAPI answers 400
 * "There was an error parsing the body").
 */
export async function readForm(contentType: string | undefined, body: Buffer): Promise<FormData | undefined> {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType === undefined || (media !== 'multipart/form-data' && media !== 'application/x-www-form-urlencoded')) return new FormData();
  try {
    return await new Request('http://fake-whisper/form', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
  } catch {
    return undefined;
  }
}

/** The text fields for the call log (file parts are logged by size and name elsewhere). */
export function recordFields(form: FormData): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') continue;
    const prev = fields[name];
    fields[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return fields;
}
