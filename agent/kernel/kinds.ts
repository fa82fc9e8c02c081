/**
 * The service kinds (issue 13): one descriptor per kind, pure data plus small pure functions. Every
 * layer keeps its own table keyed by `KindId` (probes, proxy handlers, actions, UI words), typed
 * `Record<KindId, …>`, so a kind missing from a table is a compile error rather than a request
 * silently sent down another kind's branch. One spelling per kind everywhere: config
 * (`services.<id>`), advert (`services.<id>`), API (`kinds.<id>`), routed prefix (`/<id>/`), UI.
 */
import { z } from 'zod';

export const KIND_IDS = ['ollama', 'immich-ml', 'whisper'] as const;
export type KindId = (typeof KIND_IDS)[number];
export const kindIdSchema = z.enum(KIND_IDS);

/** What a routed request is, as far as placement cares. */
export interface RequestClass {
  /** Batch work (indexing) follows the batch rules; interactive work goes to any eligible node. */
  batch: boolean;
  /** The model it names, for kinds that are model-aware; null when it names none. */
  model: string | null;
}

export interface KindDescriptor {
  id: KindId;
  /** How people name it: "Ollama". */
  label: string;
  /** What it does, in plain words, for the UI and the config reference. */
  purpose: string;
  /** Where clients reach it on the agent port: `/ollama` (requests go to `/ollama/...`). */
  prefix: `/${string}`;
  /** Where the service listens on its own machine when the owner changed nothing. */
  defaultUrl: string;
  /** The environment variable the service itself reads for its address, which overrides the URL. */
  urlEnv?: string;
  /** Probed and offered unless the config says otherwise. */
  enabledByDefault: boolean;
  /** Give up on a node that sends no first byte for this long, then try the next. */
  firstByteTimeoutMs: number;
  /** For the OpenAPI document: the methods routed, paragraphs on how the endpoint behaves, example paths. */
  docs: { methods: readonly ('get' | 'post' | 'delete')[]; paragraphs: readonly string[]; examplePaths: string };
  /** The error shape its clients read: Ollama's `{error}`, FastAPI's `{detail}` or OpenAI's `{error: {message,…}}`. */
  errorShape: 'ollama' | 'fastapi' | 'openai';
  traits: {
    /** Requests name a model, and a node serves them only when it has that model. */
    modelAware: boolean;
    /** It has batch work (indexing) that follows the batch rules and may be held. */
    batchWork: boolean;
    /** Models can be unloaded from memory when the owner takes the machine back. */
    canUnload: boolean;
  };
  /**
   * Classifies a routed request from its method, path (after the prefix), content type and body.
   * Async because multipart bodies are parsed with the platform's FormData.
   */
  classify: (req: { method: string; path: string; contentType: string; body: Buffer }) => Promise<RequestClass>;
  /** An error answer in the shape this kind's own clients read. */
  errorBody: (path: string, message: string, status: number) => string;
  /** The line that ends a stream broken midway, in the stream's own framing; null: just cut it. */
  errorFrame: (contentType: string, message: string) => string | null;
}

/** Ollama's own error shapes (PROTOCOLS.md §1.9, §1.10): `{"error": …}`, OpenAI's on `/v1`. */
export function ollamaErrorBody(path: string, message: string, status: number): string {
  if (!path.startsWith('/v1/')) return JSON.stringify({ error: message });
  return openAiErrorBody(message, status);
}

/** OpenAI's error object, which the OpenAI SDKs read (they drop other bodies). */
export function openAiErrorBody(message: string, status: number): string {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return JSON.stringify({ error: { message, type, param: null, code: null } });
}

/** The line that ends a broken Ollama stream: its NDJSON error line, or an OpenAI SSE error event. */
export function ollamaErrorFrame(contentType: string, message: string): string | null {
  if (contentType.includes('application/x-ndjson')) return `${JSON.stringify({ error: message })}\n`;
  if (contentType.includes('text/event-stream')) return `data: ${JSON.stringify({ error: { message, type: 'api_error', param: null, code: null } })}\n\n`;
  return null;
}

/** Paths whose JSON body names the Ollama model the request is for. */
const OLLAMA_MODEL_PATHS = new Set(['/api/generate', '/api/chat', '/api/embed', '/api/embeddings', '/api/show', '/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/messages']);

/** The `model` field of a JSON body (or `name`, which `/api/show` also takes), or null. */
export function jsonModel(body: Buffer): string | null {
  if (body.length === 0) return null;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const json = parsed && typeof parsed === 'object' ? (parsed as { model?: unknown; name?: unknown }) : {};
    const model = json.model ?? json.name;
    return typeof model === 'string' && model !== '' ? model : null;
  } catch {
    return null;
  }
}

/** Reads a multipart/form-data body with the platform's parser; null when it is not one. */
export async function formOf(contentType: string, body: Buffer): Promise<FormData | null> {
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) return null;
  try {
    return await new Request('http://local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
  } catch {
    return null;
  }
}

/**
 * Immich ML: interactive when every entry is a CLIP text query (a user's smart search); anything
 * with an image (CLIP visual, faces, OCR) is indexing, i.e. batch work (PROTOCOLS.md §2.3).
 */
async function classifyImmich(req: { contentType: string; body: Buffer }): Promise<RequestClass> {
  const form = await formOf(req.contentType, req.body);
  const raw = form?.get('entries');
  try {
    const entries = JSON.parse(typeof raw === 'string' ? raw : '{}') as Record<string, Record<string, unknown> | null>;
    const tasks = Object.entries(entries).flatMap(([task, types]) => Object.keys(types ?? {}).map((type) => `${task}.${type}`));
    return { batch: !(tasks.length > 0 && tasks.every((t) => t === 'clip.textual')), model: null };
  } catch {
    return { batch: true, model: null };
  }
}

/** The `model` form field of a speech-to-text upload (OpenAI's audio API: multipart/form-data). */
async function classifyWhisper(req: { contentType: string; body: Buffer }): Promise<RequestClass> {
  const model = (await formOf(req.contentType, req.body))?.get('model');
  return { batch: false, model: typeof model === 'string' && model !== '' ? model : null };
}

export const KINDS: Readonly<Record<KindId, KindDescriptor>> = {
  ollama: {
    id: 'ollama',
    label: 'Ollama',
    purpose: 'chat, generate, embeddings',
    prefix: '/ollama',
    defaultUrl: 'http://127.0.0.1:11434',
    urlEnv: 'OLLAMA_HOST',
    enabledByDefault: true,
    firstByteTimeoutMs: 120_000,
    docs: {
      methods: ['get', 'post', 'delete'],
      paragraphs: [
        "Everything under `/ollama/` behaves like an Ollama server: the native `/api/*` endpoints and the OpenAI-compatible `/v1/*` ones. A request naming a model goes to the first eligible node that has it; `/api/tags`, `/api/ps` and `/v1/models` list the models of all eligible nodes; a model nobody has gets Ollama's own 404.",
        'Streams (NDJSON and SSE) pass through unbuffered. Before the first byte a failed node is replaced by the next one transparently; after it, a broken stream ends with an error line.',
        "Model management (`api/pull`, `api/push`, `api/create`, `api/copy`, `api/delete`, `api/blobs/…`) needs `Authorization: Bearer <admin token>` unless `proxy.openModelManagement` is true: 401 without it, 403 with a wrong one, in Ollama's error shape. Inference needs no credential.",
      ],
      examplePaths: '`api/chat` or `v1/chat/completions`',
    },
    errorShape: 'ollama',
    traits: { modelAware: true, batchWork: false, canUnload: true },
    classify: async ({ path, body }) => ({ batch: false, model: OLLAMA_MODEL_PATHS.has(path.split('?')[0] ?? path) ? jsonModel(body) : null }),
    errorBody: ollamaErrorBody,
    errorFrame: ollamaErrorFrame,
  },
  'immich-ml': {
    id: 'immich-ml',
    label: 'Immich ML',
    purpose: 'smart search, faces, OCR',
    prefix: '/immich-ml',
    defaultUrl: 'http://127.0.0.1:3003',
    urlEnv: 'IMMICH_MACHINE_LEARNING_URL',
    enabledByDefault: true,
    firstByteTimeoutMs: 60_000,
    docs: {
      methods: ['get', 'post'],
      paragraphs: [
        "Behaves like an Immich machine-learning server: `GET ping` answers `pong` while some node can take the work, `POST predict` is forwarded untouched. Set Immich's Machine Learning URL to `http://<agent>:7650/immich-ml/`, with the trailing slash.",
        'Text searches may run on any eligible node; image work (CLIP visual, faces, OCR) goes only to batch nodes and may be held while one is waking. Every request has a timeout and fails over.',
      ],
      examplePaths: '`ping` or `predict`',
    },
    errorShape: 'fastapi',
    traits: { modelAware: false, batchWork: true, canUnload: false },
    classify: classifyImmich,
    // FastAPI's error shape (PROTOCOLS.md §2.4).
    errorBody: (_path, message) => JSON.stringify({ detail: message }),
    errorFrame: () => null,
  },
  whisper: {
    id: 'whisper',
    label: 'Whisper',
    purpose: 'speech to text',
    prefix: '/whisper',
    // speaches (faster-whisper-server) listens on 8000; LocalAI and whisper.cpp's server elsewhere.
    defaultUrl: 'http://127.0.0.1:8000',
    enabledByDefault: false,
    firstByteTimeoutMs: 120_000,
    docs: {
      methods: ['get', 'post'],
      paragraphs: [
        'Behaves like an OpenAI-compatible speech-to-text server (speaches / faster-whisper-server, LocalAI, whisper.cpp with its OpenAI path): `POST v1/audio/transcriptions` and `v1/audio/translations` (multipart/form-data) go to the first eligible node that lists the `model` form field (any eligible node when none lists it: an alias such as `whisper-1`); `GET v1/models` comes from the elected node.',
        "Answers pass through as they are: `response_format` json, verbose_json, text, srt or vtt, and `stream=true` server-sent events. Before the first byte a failed node is replaced by the next one. The agent's own errors use OpenAI's error object, which the OpenAI SDKs read.",
      ],
      examplePaths: '`v1/audio/transcriptions` or `v1/models`',
    },
    errorShape: 'openai',
    traits: { modelAware: true, batchWork: false, canUnload: false },
    classify: classifyWhisper,
    errorBody: (_path, message, status) => openAiErrorBody(message, status),
    errorFrame: () => null,
  },
};

/** The kinds in their fixed order (the order of `KIND_IDS`), for lists and tables. */
export const ALL_KINDS: readonly KindDescriptor[] = KIND_IDS.map((id) => KINDS[id]);

/**
 * The kinds worth showing for a placement: those on by default, and any other that some node runs.
 * A kind nobody set up (Whisper on most meshes) would only add "nowhere" lines.
 */
export function kindsInUse(p: { kinds: Record<KindId, { candidates: readonly { why: { code: string } }[] }> }): KindId[] {
  return KIND_IDS.filter((k) => KINDS[k].enabledByDefault || p.kinds[k].candidates.some((c) => c.why.code !== 'no-service'));
}

/** The label of a kind: "Immich ML". */
export const kindLabel = (kind: KindId): string => KINDS[kind].label;

/** Builds a `Record<KindId, T>` from a function of the kind, in the order of `KIND_IDS`. */
export function perKind<T>(make: (kind: KindId, d: KindDescriptor) => T): Record<KindId, T> {
  return Object.fromEntries(KIND_IDS.map((id) => [id, make(id, KINDS[id])])) as Record<KindId, T>;
}
