/**
 * speaches' model routes, as pure answers: routers/models.py `list_local_models` (`?task=` filter,
 * `{"data": [...], "object": "list"}`) and `get_local_model` (`{model_id:path}`, aliases resolved by
 * the ModelId validator, 404 `Model '<id>' not found`); the model shape is api_types.py `Model`
 * with executors/whisper.py's `owned_by` (the id before the slash). speaches @ 870e1e16.
 */
import type { WhisperModelSpec } from './types.js';

export const ASR_TASK = 'automatic-speech-recognition';
const MODEL_TASKS = [ASR_TASK, 'text-to-speech', 'speaker-embedding', 'voice-activity-detection', 'speaker-diarization'];

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export function modelJson(spec: WhisperModelSpec): Record<string, unknown> {
  return {
    id: spec.id,
    created: spec.createdSec ?? 1_700_000_000,
    object: 'model',
    owned_by: spec.ownedBy ?? spec.id.split('/')[0],
    language: spec.language ?? [],
    task: ASR_TASK,
  };
}

/** `url` is the request target with its query string. */
export function listModels(models: readonly WhisperModelSpec[], url: string): JsonAnswer {
  const task = new URLSearchParams(url.split('?')[1] ?? '').get('task');
  if (task !== null && !MODEL_TASKS.includes(task)) {
    const expected = `${MODEL_TASKS.slice(0, -1).map((t) => `'${t}'`).join(', ')} or '${MODEL_TASKS.at(-1) ?? ''}'`;
    return { status: 422, body: { detail: [{ type: 'literal_error', loc: ['query', 'task'], msg: `Input should be ${expected}`, input: task, ctx: { expected } }] } };
  }
  // Every model the fake has is a Whisper (ASR) model.
  const data = task === null || task === ASR_TASK ? models.map(modelJson) : [];
  return { status: 200, body: { data, object: 'list' } };
}

/** `rawId` is the path after `/v1/models/`, still percent-encoded (Starlette decodes it). */
export function getModel(models: readonly WhisperModelSpec[], aliases: Readonly<Record<string, string>>, rawId: string): JsonAnswer {
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    id = rawId;
  }
  id = aliases[id] ?? id;
  // `/v1/models/` matches the :path route with an empty id, which ModelId's min_length=1 refuses.
  if (id === '') {
    return { status: 422, body: { detail: [{ type: 'string_too_short', loc: ['path', 'model_id'], msg: 'String should have at least 1 character', input: '', ctx: { min_length: 1 } }] } };
  }
  const spec = models.find((m) => m.id === id);
  return spec === undefined ? { status: 404, body: { detail: `Model '${id}' not found` } } : { status: 200, body: modelJson(spec) };
}
