/**
 * The few ways Ollama's gin server writes a whole response. Content types differ on purpose:
 * c.JSON → "application/json; charset=utf-8"; the OpenAI writers and streamResponse's early error
 * → "application/json" (json.Encoder, trailing "\n"); c.String → "text/plain; charset=utf-8";
 * gin's own 404/405 → "text/plain" (PROTOCOLS.md §1.1, §1.3, §1.9, §1.10).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Exchange } from '../shared/http-harness.js';
import { goJson } from './go-format.js';
import type { OllamaCall } from './types.js';

export type OllamaExchange = Exchange<OllamaCall>;

function send(ex: OllamaExchange, status: number, headers: OutgoingHttpHeaders, body: string): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  ex.res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  ex.res.end(body);
}

/** gin c.JSON / c.AbortWithStatusJSON. */
export function sendGinJson(ex: OllamaExchange, status: number, value: unknown): void {
  send(ex, status, { 'Content-Type': 'application/json; charset=utf-8' }, goJson(value));
}

/** `{"error": message}` via c.JSON: the native API's error body (PROTOCOLS.md §1.9). */
export function sendGinError(ex: OllamaExchange, status: number, message: string): void {
  sendGinJson(ex, status, { error: message });
}

/** gin c.String. */
export function sendGinString(ex: OllamaExchange, status: number, text: string): void {
  send(ex, status, { 'Content-Type': 'text/plain; charset=utf-8' }, text);
}

/** gin serveError (404 page not found / 405 method not allowed). */
export function sendGinDefault(ex: OllamaExchange, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  send(ex, status, { ...headers, 'Content-Type': 'text/plain' }, text);
}

/** json.NewEncoder(w).Encode after Header().Set("Content-Type", "application/json"). */
export function sendEncoderJson(ex: OllamaExchange, status: number, value: unknown): void {
  send(ex, status, { 'Content-Type': 'application/json' }, `${goJson(value)}\n`);
}

/** c.AbortWithStatus: no body, no content type (403 of the host check, 204 for OPTIONS). */
export function sendEmpty(ex: OllamaExchange, status: number): void {
  send(ex, status, {}, '');
}

/** openai.NewError: the error type follows the status (openai/openai.go). */
export function openAiError(status: number, message: string): { error: Record<string, unknown> } {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return { error: { message, type, param: null, code: null } };
}

/**
 * An error on a /v1 route. `middleware`: the OpenAI middleware rejected the request itself
 * (c.AbortWithStatusJSON, charset, no newline); `handler`: the native handler failed and
 * BaseWriter.writeError re-encoded it (application/json + newline) — middleware/openai.go.
 */
export function sendOpenAiError(ex: OllamaExchange, status: number, message: string, via: 'middleware' | 'handler'): void {
  if (via === 'middleware') sendGinJson(ex, status, openAiError(status, message));
  else sendEncoderJson(ex, status, openAiError(status, message));
}
