/**
 * Response framing for generations. Native: NDJSON stream (server/routes.go streamResponse) or one
 * JSON object for "stream": false (the handlers concatenate the text and keep the final metrics).
 * OpenAI: SSE or one JSON object (middleware/openai.go ChatWriter, openai/openai.go).
 */
import { formatGoTime, goJson, unixSeconds } from './go-format.js';
import { openAiError, sendEncoderJson, sendGinError, sendGinJson } from './http-io.js';
import type { OllamaExchange } from './http-io.js';
import type { FinalStats, GenerationWriter } from './generation.js';

export type NativeKind = 'generate' | 'chat';

function isGone(ex: OllamaExchange): boolean {
  return ex.signal.aborted || ex.res.destroyed || ex.res.writableEnded;
}

/** api.Metrics: every field is omitempty, so zero values are left out (PROTOCOLS.md §1.3). */
function metrics(stats: FinalStats): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (key: string, value: number): void => {
    if (value !== 0) out[key] = value;
  };
  put('total_duration', stats.totalNs);
  put('load_duration', stats.loadNs);
  put('prompt_eval_count', stats.promptEvalCount);
  put('prompt_eval_duration', stats.promptEvalNs);
  put('eval_count', stats.evalCount);
  put('eval_duration', stats.evalNs);
  return out;
}

/** Field order follows api.GenerateResponse / api.ChatResponse. */
export function nativeChunk(kind: NativeKind, model: string, text: string): Record<string, unknown> {
  const createdAt = formatGoTime(Date.now(), 'utc');
  return kind === 'generate'
    ? { model, created_at: createdAt, response: text, done: false }
    : { model, created_at: createdAt, message: { role: 'assistant', content: text }, done: false };
}

function nativeFinal(kind: NativeKind, model: string, text: string, stats: FinalStats): Record<string, unknown> {
  const createdAt = formatGoTime(Date.now(), 'utc');
  if (kind === 'chat') {
    return { model, created_at: createdAt, message: { role: 'assistant', content: text }, done: true, done_reason: stats.doneReason, ...metrics(stats) };
  }
  // The final generate chunk carries `context` (token ids of prompt + answer) unless raw.
  const contextLength = Math.min(4096, stats.promptEvalCount + stats.evalCount);
  const context = Array.from({ length: contextLength }, (_, i) => 128_000 + i);
  return { model, created_at: createdAt, response: text, done: true, done_reason: stats.doneReason, context, ...metrics(stats) };
}

/** Default streaming: headers go out with the first line, each line is written (flushed) alone. */
export function createNdjsonWriter(ex: OllamaExchange, kind: NativeKind, model: string): GenerationWriter {
  const line = (value: unknown): void => {
    if (isGone(ex)) return;
    if (!ex.res.headersSent) ex.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    ex.res.write(`${goJson(value)}\n`);
  };
  return {
    token: (text) => line(nativeChunk(kind, model, text)),
    done(stats) {
      line(nativeFinal(kind, model, '', stats));
      if (!isGone(ex)) ex.res.end();
    },
    error(message) {
      if (isGone(ex)) return;
      if (!ex.res.headersSent) {
        // Nothing written yet: streamResponse sets "application/json" and answers with c.JSON.
        const body = goJson({ error: message });
        ex.res.writeHead(500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        ex.res.end(body);
        return;
      }
      // Mid-stream: status stays 200, one more line {"error": ...}, no done line (§1.9).
      line({ error: message });
      ex.res.end();
    },
  };
}

/** "stream": false — one object with the concatenated text and the final metrics. */
export function createNativeJsonWriter(ex: OllamaExchange, kind: NativeKind, model: string): GenerationWriter {
  let text = '';
  return {
    token(piece) {
      text += piece;
    },
    done(stats) {
      if (!isGone(ex)) sendGinJson(ex, 200, nativeFinal(kind, model, text, stats));
    },
    error(message) {
      if (!isGone(ex)) sendGinError(ex, 500, message);
    },
  };
}

interface OpenAiIds {
  id: string;
  model: string;
}

function openAiChunk(ids: OpenAiIds, createdSec: number, model: string, choices: unknown[]): Record<string, unknown> {
  return { id: ids.id, object: 'chat.completion.chunk', created: createdSec, model, system_fingerprint: 'fp_ollama', choices };
}

function usage(stats: FinalStats): Record<string, number> {
  return {
    prompt_tokens: stats.promptEvalCount,
    completion_tokens: stats.evalCount,
    total_tokens: stats.promptEvalCount + stats.evalCount,
  };
}

/** ChatWriter with stream: true. `created` is pinned from the first response for the whole stream. */
export function createOpenAiSseWriter(ex: OllamaExchange, ids: OpenAiIds, includeUsage: boolean): GenerationWriter {
  let createdSec: number | undefined;
  let roleSent = false;
  const event = (data: string): void => {
    if (isGone(ex)) return;
    if (!ex.res.headersSent) ex.res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    ex.res.write(`data: ${data}\n\n`);
  };
  const created = (): number => (createdSec ??= unixSeconds(Date.now()));
  const contentChunk = (text: string, model: string): Record<string, unknown> => {
    const delta = roleSent ? { content: text } : { role: 'assistant', content: text };
    roleSent = true;
    return openAiChunk(ids, created(), model, [{ index: 0, delta, finish_reason: null }]);
  };
  return {
    token(text) {
      event(goJson(contentChunk(text, ids.model)));
    },
    done(stats) {
      // A wholly empty completion still opens with a role chunk; otherwise the metrics-only
      // trailer produces no content chunk, only the finish chunk.
      if (!roleSent) event(goJson(contentChunk('', ids.model)));
      const finish = openAiChunk(ids, created(), ids.model, [{ index: 0, delta: {}, finish_reason: stats.doneReason }]);
      event(goJson(finish));
      if (includeUsage) event(goJson({ ...finish, choices: [], usage: usage(stats) }));
      event('[DONE]');
      if (!isGone(ex)) ex.res.end();
    },
    error(message) {
      if (isGone(ex)) return;
      if (!ex.res.headersSent) {
        sendEncoderJson(ex, 500, openAiError(500, message));
        return;
      }
      // Faithful oddity: ChatWriter decodes the {"error": ...} line as an empty ChatResponse and
      // emits an empty content chunk with model "" — the message is lost and no [DONE] follows.
      event(goJson(openAiChunk(ids, created(), '', [{ index: 0, delta: { content: '' }, finish_reason: null }])));
      ex.res.end();
    },
  };
}

/** ChatWriter with stream: false → openai.ToChatCompletion, encoded with a trailing newline. */
export function createOpenAiJsonWriter(ex: OllamaExchange, ids: OpenAiIds): GenerationWriter {
  let text = '';
  return {
    token(piece) {
      text += piece;
    },
    done(stats) {
      if (isGone(ex)) return;
      sendEncoderJson(ex, 200, {
        id: ids.id,
        object: 'chat.completion',
        created: unixSeconds(Date.now()),
        model: ids.model,
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: stats.doneReason }],
        usage: usage(stats),
      });
    },
    error(message) {
      if (!isGone(ex)) sendEncoderJson(ex, 500, openAiError(500, message));
    },
  };
}
