/** Public option and record types of the fake speech-to-text server (see fake-whisper.ts). */
import type { BaseCall } from '../shared/http-harness.js';

/** A locally installed model as speaches lists it (api_types.py `Model`). */
export interface WhisperModelSpec {
  /** Hugging Face repo id, e.g. `Systran/faster-whisper-small`. */
  id: string;
  /** Unix seconds; default 1700000000 (speaches uses the cache's last_modified). */
  createdSec?: number;
  /** Default: the part of `id` before the slash, as speaches does. */
  ownedBy?: string;
  /** ISO 639 codes from the model card; default []. */
  language?: string[];
}

export interface FakeWhisperOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only. */
  host?: string;
  /** Installed models (ids or specs); default `Systran/faster-whisper-small` and `Systran/faster-whisper-large-v3`. */
  models?: (string | WhisperModelSpec)[];
  /** Model aliases (speaches' model_aliases.json); default `{"whisper-1": "Systran/faster-whisper-large-v3"}`. */
  aliases?: Record<string, string>;
  /** What every audio file "says"; split into one segment per sentence. */
  text?: string;
  /** Detected language when the request names none; default `en`. */
  language?: string;
  /** Audio length reported for files that are not PCM WAV (WAV length is read from its header); default 2. */
  durationSec?: number;
  /** Treat any non-empty bytes as audio; by default data in no known audio container gets speaches' 415. */
  acceptAnyBytes?: boolean;
  /** Delay before an audio request answers. */
  delayMs?: number;
  /** Gap between SSE events when `stream=true` (0: all at once). */
  streamIntervalMs?: number;
  /** Audio requests are read and never answered; /health and /v1/models still answer. */
  hang?: boolean;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>` (speaches' `api_key` setting; dependencies.py verify_api_key). */
  apiKey?: string;
}

/** One-shot fault for the next audio request (see FakeWhisper.failNext). */
export type FakeWhisperFault =
  /** FastAPI HTTPException: `{"detail": detail}` with this status. */
  | { kind: 'status'; status: number; detail: string }
  /** An unhandled exception: 500 text/plain "Internal Server Error". */
  | { kind: 'internal' }
  | { kind: 'hang' }
  /** Destroy the connection without a response. */
  | { kind: 'reset' };

export type WhisperTask = 'transcribe' | 'translate';

export interface WhisperCall extends BaseCall {
  contentType: string | undefined;
  bodyBytes: number;
  /** Audio routes only. */
  task?: WhisperTask;
  /** Audio routes: every non-file form field as sent (repeated fields as arrays, e.g. `timestamp_granularities[]`). */
  fields?: Record<string, string | string[]>;
  /** Audio routes: the `file` part (never its bytes). */
  file?: { bytes: number; filename: string; contentType: string | undefined };
  /** Audio routes: the model the request named, after alias resolution. */
  model?: string;
  /** Audio routes: the response_format used (`stream` when answered with SSE). */
  responseFormat?: string;
}
