/**
 * GET|HEAD /, GET|HEAD /api/version, GET|HEAD /api/tags, GET /api/ps, POST /api/show,
 * DELETE /api/delete (server/routes.go; PROTOCOLS.md §1.1, §1.8, §1.9).
 */
import { sendEmpty, sendGinError, sendGinJson, sendGinString } from './http-io.js';
import type { OllamaExchange } from './http-io.js';
import { parseModelRef } from './names.js';
import { decodeStruct, readFields } from './state.js';
import type { OllamaState } from './state.js';

export function handleRoot(ex: OllamaExchange): void {
  sendGinString(ex, 200, 'Ollama is running');
}

export function handleVersion(ex: OllamaExchange, st: OllamaState): void {
  sendGinJson(ex, 200, { version: st.version });
}

export function handleTags(ex: OllamaExchange, st: OllamaState): void {
  sendGinJson(ex, 200, st.registry.tagsJson());
}

export function handlePs(ex: OllamaExchange, st: OllamaState): void {
  sendGinJson(ex, 200, st.registry.psJson(Date.now()));
}

/** ShowHandler: `model` (or legacy `name`); the 404 prints the normalised name ("x:latest"). */
export function handleShow(ex: OllamaExchange, st: OllamaState): void {
  const decoded = decodeStruct(ex, 'api', 'ShowRequest');
  if (!decoded.ok) {
    sendGinError(ex, 400, decoded.empty ? 'missing request body' : decoded.message);
    return;
  }
  const { s } = decoded;
  const fields = readFields(() => s.string('model') || s.string('name'));
  if (!fields.ok) {
    sendGinError(ex, 400, fields.message);
    return;
  }
  if (fields.value === '') {
    sendGinError(ex, 400, 'model is required');
    return;
  }
  const ref = parseModelRef(fields.value);
  if (ref.kind !== 'ok') {
    sendGinError(ex, 400, ref.kind === 'invalid' ? 'invalid model name' : 'model is required');
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    sendGinError(ex, 404, `model '${ref.name.display}' not found`);
    return;
  }
  sendGinJson(ex, 200, st.registry.showJson(entry));
}

/** DeleteHandler: 200 with an empty body, or 404 "model 'NAME' not found" (name as sent). */
export function handleDelete(ex: OllamaExchange, st: OllamaState): void {
  const decoded = decodeStruct(ex, 'api', 'DeleteRequest');
  if (!decoded.ok) {
    sendGinError(ex, 400, decoded.empty ? 'missing request body' : decoded.message);
    return;
  }
  const { s } = decoded;
  const fields = readFields(() => s.string('model') || s.string('name'));
  if (!fields.ok) {
    sendGinError(ex, 400, fields.message);
    return;
  }
  const ref = parseModelRef(fields.value);
  if (ref.kind === 'required') {
    sendGinError(ex, 400, 'model is required');
    return;
  }
  if (ref.kind === 'invalid') {
    sendGinError(ex, 400, `name ${JSON.stringify(fields.value)} is invalid`);
    return;
  }
  const entry = st.registry.find(ref.name);
  if (entry === undefined) {
    sendGinError(ex, 404, `model '${fields.value}' not found`);
    return;
  }
  st.registry.remove(entry);
  sendEmpty(ex, 200);
}
