/**
 * Errors the agent itself answers on a routed endpoint or the relay, in the shape the kind's own
 * clients expect (the kind's descriptor says which: Ollama's, OpenAI's, FastAPI's). One place, for the router's refusals, the relay's and the handlers' last resort.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { KINDS, type KindId } from '../../agent/kernel/kinds.js';

export function kindErrorBody(kind: KindId, path: string, message: string, status: number): string {
  return KINDS[kind].errorBody(path, message, status);
}

/** Writes the whole answer: status, JSON content type and length, any `headers`, the body. */
export function sendKindError(res: ServerResponse, kind: KindId, path: string, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  const body = kindErrorBody(kind, path, message, status);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
