/**
 * A passive latency meter for Immich ML `/predict` (issue 15): which task a request asks for, read
 * from its multipart `entries` field (PROTOCOLS.md §2.2), and how long the answer took. Immich sends
 * one task per request: CLIP visual (indexing), CLIP textual (a user's search), facial recognition
 * (detection + recognition in one request) or OCR. Pure and synchronous; never throws.
 *
 * How it is wired (speed-meter.ts, agent/speed-book.ts): the serving node's agent already holds the `/predict` body (it is
 * read whole for failover, forward.ts `readBody`); in the relay and direct paths it calls
 * `predictTaskOf(contentType, body)` before forwarding, notes `clock.monotonicMs()`, and when the
 * answer ends records `predictSampleOf(...)` in scheduler/speed.ts as subject
 * `{ kind: 'task', name: task }` under its own node id.
 */
import type { SpeedSample, SpeedSource } from '../../agent/kernel/shapes/speed.js';

export const PREDICT_TASKS = ['clip-visual', 'clip-textual', 'facial-recognition', 'ocr'] as const;
export type PredictTask = (typeof PREDICT_TASKS)[number];

/**
 * Immich puts `entries` first (machine-learning.repository.ts appends it before the image), so the
 * field is found in the head of the body; a body whose head does not name it is not read further.
 */
export const MAX_SCAN_BYTES = 64 * 1024;

/** The boundary parameter of a multipart content type (RFC 2046 §5.1.1; may be quoted). */
function boundaryOf(contentType: string): string | null {
  if (!/^\s*multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2] ?? null;
}

/**
 * The text of the `entries` part, or null. Reads only the first MAX_SCAN_BYTES.
 *
 * @example
 *   entriesFieldOf('multipart/form-data; boundary=XYZ', body) // '{"clip":{"visual":{...}}}'
 */
export function entriesFieldOf(contentType: string | undefined, body: Uint8Array): string | null {
  const boundary = contentType === undefined ? null : boundaryOf(contentType);
  if (boundary === null) return null;
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, MAX_SCAN_BYTES));
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = head.indexOf(delimiter);
  while (at >= 0) {
    const headersStart = at + delimiter.length;
    const headersEnd = head.indexOf('\r\n\r\n', headersStart, 'latin1');
    if (headersEnd < 0) return null;
    const next = head.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delimiter]), headersEnd + 4);
    if (next < 0) return null;
    const headers = head.toString('latin1', headersStart, headersEnd);
    if (/content-disposition:\s*form-data;[^\r\n]*\bname="entries"/i.test(headers)) {
      return head.toString('utf8', headersEnd + 4, next);
    }
    at = next + 2;
  }
  return null;
}

/** The one task an `entries` JSON asks for, or null (bad JSON, no task, or several at once). */
export function predictTaskOfEntries(entriesJson: string): PredictTask | null {
  let entries: unknown;
  try {
    entries = JSON.parse(entriesJson);
  } catch {
    return null;
  }
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return null;
  const found = new Set<PredictTask>();
  for (const [task, types] of Object.entries(entries as Record<string, unknown>)) {
    if (types === null || typeof types !== 'object' || Array.isArray(types)) return null;
    const names = Object.keys(types);
    if (task === 'clip') {
      for (const t of names) {
        if (t === 'visual') found.add('clip-visual');
        else if (t === 'textual') found.add('clip-textual');
        else return null;
      }
    } else if (task === 'facial-recognition' || task === 'ocr') {
      // detection + recognition is one task: the ML server runs them as one pipeline (§2.2).
      if (names.length === 0 || names.some((t) => t !== 'detection' && t !== 'recognition')) return null;
      found.add(task);
    } else {
      return null;
    }
  }
  // Several tasks in one request time their sum, which says nothing about any one of them.
  return found.size === 1 ? [...found][0]! : null;
}

/** The task of a `/predict` request body, or null when it cannot be told. */
export function predictTaskOf(contentType: string | undefined, body: Uint8Array): PredictTask | null {
  const entries = entriesFieldOf(contentType, body);
  return entries === null ? null : predictTaskOfEntries(entries);
}

/**
 * One latency sample for a finished `/predict`, or null: only a 2xx answer measures the node (a 4xx
 * is a bad request, a 5xx a failure, both answered at some unrelated speed).
 */
export function predictSampleOf(a: { startedAtMs: number; endedAtMs: number; status: number; source: SpeedSource; atMs: number }): SpeedSample | null {
  if (a.status < 200 || a.status > 299) return null;
  const latencyMs = a.endedAtMs - a.startedAtMs;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) return null;
  return { atMs: a.atMs, source: a.source, genTokPerSec: null, promptTokPerSec: null, ttftMs: null, loadMs: null, latencyMs };
}
