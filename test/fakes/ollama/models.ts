/**
 * The fake's local models and which of them are loaded, with the JSON shapes of /api/tags,
 * /api/ps and /api/show (api/types.go ListModelResponse, ProcessModelResponse, ShowResponse;
 * PROTOCOLS.md §1.8). Expiry is evaluated lazily when /api/ps is read, so no timers are needed.
 */
import { createHash } from 'node:crypto';
import { formatGoTime } from './go-format.js';
import { normaliseModelName } from './names.js';
import type { ModelName } from './names.js';
import type { FakeModelSpec, KeepAlive } from './types.js';

export interface ModelEntry {
  name: ModelName;
  sizeBytes: number;
  sizeVramBytes: number;
  digest: string;
  family: string;
  parameterSize: string;
  quantization: string;
  capabilities: string[];
  embeddingLength: number;
  contextLength: number;
  modifiedAtMs: number;
}

interface LoadedModel {
  entry: ModelEntry;
  expiresAtMs: number;
  /** Requests currently using the runner; it never expires while > 0. */
  active: number;
  contextLength: number;
}

/** time.Duration(math.MaxInt64) in ms: what a negative keep_alive becomes (about 292 years). */
const FOREVER_MS = 9_223_372_036_854;

function isEmbeddingName(model: string): boolean {
  return /embed|minilm|bge-|mxbai/i.test(model);
}

function toEntry(spec: FakeModelSpec, modifiedAtMs: number): ModelEntry {
  const name = normaliseModelName(spec.name);
  const embedding = isEmbeddingName(name.model);
  const fromTag = /(\d+(?:\.\d+)?)([bm])\b/i.exec(name.tag);
  const parameterSize =
    spec.parameterSize ?? (fromTag ? `${fromTag[1]}${(fromTag[2] ?? 'b').toUpperCase()}` : embedding ? '137M' : '3.2B');
  const quantization = spec.quantization ?? (embedding ? 'F16' : 'Q4_K_M');
  const sizeMatch = /^(\d+(?:\.\d+)?)([BM])$/i.exec(parameterSize);
  const params = sizeMatch ? Number(sizeMatch[1]) * ((sizeMatch[2] ?? 'B').toUpperCase() === 'B' ? 1e9 : 1e6) : 3.2e9;
  const bytesPerParam = quantization.startsWith('F16') ? 2 : quantization.startsWith('Q8') ? 1.07 : 0.63;
  const sizeBytes = spec.sizeBytes ?? Math.round(params * bytesPerParam);
  return {
    name,
    sizeBytes,
    sizeVramBytes: spec.sizeVramBytes ?? sizeBytes,
    digest: createHash('sha256').update(name.display).digest('hex'),
    family: spec.family ?? (embedding ? 'bert' : (/^[a-z]+/i.exec(name.model)?.[0] ?? 'llama').toLowerCase()),
    parameterSize,
    quantization,
    capabilities: spec.capabilities ?? (embedding ? ['embedding'] : ['completion']),
    embeddingLength: spec.embeddingLength ?? 768,
    contextLength: spec.contextLength ?? 4096,
    modifiedAtMs,
  };
}

function details(entry: ModelEntry): Record<string, unknown> {
  return {
    parent_model: '',
    format: 'gguf',
    family: entry.family,
    families: [entry.family],
    parameter_size: entry.parameterSize,
    quantization_level: entry.quantization,
  };
}

export class ModelRegistry {
  private entries: ModelEntry[] = [];
  private readonly loadedByName = new Map<string, LoadedModel>();

  constructor(
    specs: FakeModelSpec[],
    private readonly defaultKeepAliveMs: number,
  ) {
    this.setModels(specs);
  }

  setModels(specs: FakeModelSpec[]): void {
    const modifiedAtMs = Date.now() - 86_400_000;
    this.entries = specs.map((spec) => toEntry(spec, modifiedAtMs));
    const names = new Set(this.entries.map((e) => e.name.display.toLowerCase()));
    for (const key of this.loadedByName.keys()) if (!names.has(key)) this.loadedByName.delete(key);
  }

  list(): readonly ModelEntry[] {
    return this.entries;
  }

  /** getExistingName + GetModel: parts match case-insensitively. */
  find(name: ModelName): ModelEntry | undefined {
    const wanted = name.display.toLowerCase();
    return this.entries.find((e) => e.name.display.toLowerCase() === wanted);
  }

  remove(entry: ModelEntry): void {
    this.entries = this.entries.filter((e) => e !== entry);
    this.loadedByName.delete(entry.name.display.toLowerCase());
  }

  isLoaded(entry: ModelEntry, nowMs: number): boolean {
    this.expire(nowMs);
    return this.loadedByName.has(entry.name.display.toLowerCase());
  }

  /** Loads (or refreshes) the runner and counts one active request on it. */
  acquire(entry: ModelEntry, keepAlive: KeepAlive, contextLength: number | undefined, nowMs: number): void {
    this.expire(nowMs);
    const key = entry.name.display.toLowerCase();
    const current = this.loadedByName.get(key);
    const loaded: LoadedModel = current ?? { entry, expiresAtMs: 0, active: 0, contextLength: entry.contextLength };
    loaded.active += 1;
    if (contextLength !== undefined) loaded.contextLength = contextLength;
    loaded.expiresAtMs = nowMs + this.keepAliveMs(keepAlive);
    this.loadedByName.set(key, loaded);
  }

  /** Ends one request; keep_alive 0 unloads once no request uses the runner (PROTOCOLS.md §1.6). */
  release(entry: ModelEntry, keepAlive: KeepAlive, nowMs: number): void {
    const key = entry.name.display.toLowerCase();
    const loaded = this.loadedByName.get(key);
    if (loaded === undefined) return;
    loaded.active = Math.max(0, loaded.active - 1);
    const keepMs = this.keepAliveMs(keepAlive);
    loaded.expiresAtMs = nowMs + keepMs;
    if (loaded.active === 0 && keepMs <= 0) this.loadedByName.delete(key);
  }

  unload(entry: ModelEntry): void {
    this.loadedByName.delete(entry.name.display.toLowerCase());
  }

  unloadAll(): void {
    this.loadedByName.clear();
  }

  tagsJson(): { models: Record<string, unknown>[] } {
    return {
      models: this.entries.map((e) => ({
        name: e.name.display,
        model: e.name.display,
        modified_at: formatGoTime(e.modifiedAtMs, 'local'),
        size: e.sizeBytes,
        digest: e.digest,
        details: details(e),
      })),
    };
  }

  /** PsHandler: sorted by expires_at, longest remaining first. */
  psJson(nowMs: number): { models: Record<string, unknown>[] } {
    this.expire(nowMs);
    const loaded = [...this.loadedByName.values()].sort((a, b) => b.expiresAtMs - a.expiresAtMs);
    return {
      models: loaded.map((l) => ({
        name: l.entry.name.display,
        model: l.entry.name.display,
        size: l.entry.sizeBytes,
        digest: l.entry.digest,
        details: details(l.entry),
        expires_at: formatGoTime(l.expiresAtMs, 'local'),
        size_vram: l.entry.sizeVramBytes,
        context_length: l.contextLength,
      })),
    };
  }

  showJson(entry: ModelEntry): Record<string, unknown> {
    const arch = entry.family;
    return {
      modelfile: `# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM ${entry.name.display}\n\nFROM /fake/models/blobs/sha256-${entry.digest}\nTEMPLATE {{ .Prompt }}\n`,
      template: '{{ .Prompt }}',
      details: details(entry),
      model_info: {
        'general.architecture': arch,
        'general.file_type': 15,
        'general.parameter_count': Math.round(entry.sizeBytes / 0.63),
        [`${arch}.context_length`]: 131072,
        [`${arch}.embedding_length`]: entry.embeddingLength,
      },
      capabilities: entry.capabilities,
      modified_at: formatGoTime(entry.modifiedAtMs, 'local'),
    };
  }

  private keepAliveMs(keepAlive: KeepAlive): number {
    const ms = keepAlive.kind === 'absent' ? this.defaultKeepAliveMs : keepAlive.ms;
    return Number.isFinite(ms) ? ms : FOREVER_MS;
  }

  private expire(nowMs: number): void {
    for (const [key, loaded] of this.loadedByName) {
      if (loaded.active === 0 && loaded.expiresAtMs <= nowMs) this.loadedByName.delete(key);
    }
  }
}
