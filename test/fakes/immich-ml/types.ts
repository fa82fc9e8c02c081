/** Public option and record types of the fake Immich ML (see fake-immich-ml.ts). */
import type { BaseCall } from '../shared/http-harness.js';
import type { ImageSize } from './image-size.js';

export interface FakeImmichMlOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only. */
  host?: string;
  /** Delay before /predict answers (the real service has no timeout on the Immich side). */
  delayMs?: number;
  /** /predict reads the request and never answers; / and /ping still answer. */
  hang?: boolean;
  /** CLIP embedding length; default 512 (ViT-B-32). */
  clipDims?: number;
  /** Faces "found" per image (before minScore filtering); default 1. */
  faces?: number;
  /** Texts "found" by OCR per image; default ["HELLO"]. */
  ocrTexts?: string[];
  /** Size reported for image bytes whose header is not PNG/JPEG/WebP/GIF; default 1080×1440. */
  fallbackImageSize?: ImageSize;
}

/** One-shot fault for the next /predict (see FakeImmichMl.failNext). */
export type FakeImmichMlFault =
  /** FastAPI HTTPException: `{"detail": detail}` with this status. */
  | { kind: 'status'; status: number; detail: string }
  /** An unhandled exception: 500 text/plain "Internal Server Error". */
  | { kind: 'internal' }
  | { kind: 'hang' }
  /** Destroy the connection without a response. */
  | { kind: 'reset' };

export interface PredictTask {
  task: string;
  type: string;
  modelName: unknown;
  options: unknown;
}

export interface ImmichMlCall extends BaseCall {
  contentType: string | undefined;
  bodyBytes: number;
  /** /predict: the raw `entries` form field. */
  entries?: string;
  /** /predict: the task/type/model entries in request order (empty if entries were invalid). */
  tasks: PredictTask[];
  /** /predict: which input was used (image wins if both were sent). */
  input?: 'image' | 'text';
  /** The `image` part as received: Immich sends a Blob, i.e. filename "blob", application/octet-stream. */
  image?: { bytes: number; filename: string | undefined; contentType: string | undefined };
  text?: string;
}
