/**
 * Ollama's own error shapes (PROTOCOLS.md §1.9, §1.10), so clients of the routed endpoint see
 * exactly what they would see from Ollama itself.
 */
export function isOpenAiPath(path: string): boolean {
  return path.startsWith('/v1/');
}

export function ollamaErrorBody(path: string, message: string, status: number): string {
  if (!isOpenAiPath(path)) return JSON.stringify({ error: message });
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return JSON.stringify({ error: { message, type, param: null, code: null } });
}

/** A model-not-found answer from one node means "try the next one" (issue 5 §3). */
export function isModelNotFound(status: number, body: string): boolean {
  return status === 404 && /model ['"\\]*[^'"]*['"\\]* not found/.test(body);
}

/** The line that ends a broken stream: Ollama's NDJSON error line, or an OpenAI SSE error event. */
export function ollamaErrorFrame(contentType: string, message: string): string | null {
  if (contentType.includes('application/x-ndjson')) return `${JSON.stringify({ error: message })}\n`;
  if (contentType.includes('text/event-stream')) return `data: ${JSON.stringify({ error: { message, type: 'api_error', param: null, code: null } })}\n\n`;
  return null;
}
