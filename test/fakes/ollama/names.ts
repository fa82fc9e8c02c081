/**
 * Model names as Ollama parses them (types/model/name.go ParseName / DisplayShortest,
 * server/model_resolver.go): `[host/][namespace/]model[:tag]`, defaults
 * registry.ollama.ai / library / latest (PROTOCOLS.md §1.3).
 */
const DEFAULT_HOST = 'registry.ollama.ai';
const DEFAULT_NAMESPACE = 'library';
const DEFAULT_TAG = 'latest';

export interface ModelName {
  host: string;
  namespace: string;
  model: string;
  tag: string;
  /** DisplayShortest(): what /api/tags, /api/ps and /api/show print, e.g. "llama3.2:latest". */
  display: string;
}

export type ParsedRef = { kind: 'ok'; name: ModelName } | { kind: 'required' } | { kind: 'invalid' };

// isValidPart: first char alphanumeric or '_'; then '-', '_', alnum; '.' except in namespaces;
// ':' only in hosts. Lengths 1..80 (hosts 1..350).
const PART = {
  host: /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}$/,
  namespace: /^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$/,
  model: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/,
  tag: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/,
};

/** parseAndValidateModelRef: blank → "model is required"; a malformed name → ErrUnqualifiedName. */
export function parseModelRef(raw: string): ParsedRef {
  let rest = raw.trim().split('@')[0] ?? '';
  if (rest === '') return { kind: 'required' };
  let tag = DEFAULT_TAG;
  if (rest.lastIndexOf(':') > rest.lastIndexOf('/')) {
    tag = rest.slice(rest.lastIndexOf(':') + 1);
    rest = rest.slice(0, rest.lastIndexOf(':'));
  }
  const parts = rest.split('/');
  const model = parts.pop() ?? '';
  const namespace = parts.length > 0 ? (parts.pop() ?? '') : DEFAULT_NAMESPACE;
  const host = parts.length > 0 ? parts.join('/').replace(/^[a-z]+:\/\//, '') : DEFAULT_HOST;
  if (!PART.model.test(model) || !PART.tag.test(tag) || !PART.namespace.test(namespace) || !PART.host.test(host)) {
    return { kind: 'invalid' };
  }
  let prefix = '';
  if (host.toLowerCase() !== DEFAULT_HOST) prefix = `${host}/${namespace}/`;
  else if (namespace.toLowerCase() !== DEFAULT_NAMESPACE) prefix = `${namespace}/`;
  return { kind: 'ok', name: { host, namespace, model, tag, display: `${prefix}${model}:${tag}` } };
}

/** Normalises a configured model name; throws for names Ollama would reject. */
export function normaliseModelName(raw: string): ModelName {
  const parsed = parseModelRef(raw);
  if (parsed.kind !== 'ok') throw new Error(`fake-ollama: invalid model name ${JSON.stringify(raw)}`);
  return parsed.name;
}
