/**
 * Errors the agent itself answers on a routed endpoint or the relay, in the shape the kind's own
 * clients expect: Ollama's (`{"error": …}`, OpenAI's on `/v1`) or FastAPI's (`{"detail": …}`,
 * Immich ML). One place, for the router's refusals, the relay's and the handlers' last resort.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ServiceKind } from '../../agent/kernel/shapes/offer.js';
import { ollamaErrorBody } from './ollama-errors.js';

export function kindErrorBody(kind: ServiceKind, path: string, message: string, status: number): string {
  return kind === 'ollama' ? ollamaErrorBody(path, message, status) : JSON.stringify({ detail: message });
}

/** Writes the whole answer: status, JSON content type and length, any `headers`, the body. */
export function sendKindError(res: ServerResponse, kind: ServiceKind, path: string, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  const body = kindErrorBody(kind, path, message, status);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
