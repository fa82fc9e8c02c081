/**
 * Loads the configuration with the documented precedence: flags > env > file > defaults
 * (DESIGN.md §5). Every problem is collected and reported at once as `path: message`; main.ts
 * exits 78 on a ConfigError before anything starts.
 */
import { migrateLegacyKeys } from './config-legacy.js';
import type { z } from 'zod';
import { configSchema, type AgentConfig } from './config-schema.js';
import { ConfigError, type ConfigIssue } from './kernel/errors.js';
import { parseOllamaHost } from './ollama-host.js';

/** Command-line flags that override configuration. */
export interface ConfigFlags {
  config?: string | undefined;
  dataDir?: string | undefined;
  port?: string | undefined;
  mdnsInterface?: string | undefined;
  key?: string | undefined;
}

export interface LoadConfigOptions {
  flags: ConfigFlags;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a file as UTF-8; rejects with an ENOENT-coded error when it does not exist. */
  readFile: (file: string) => Promise<string>;
  hostname: string;
}

export interface LoadedConfig {
  config: AgentConfig & { node: { name: string } };
  /** The file that was read, or null when running on defaults. */
  configPath: string | null;
  /** Old key names read under their new ones (config-legacy.ts), to log at start. */
  notes: string[];
}

type Raw = Record<string, unknown>;

interface Override {
  path: string[];
  env?: string;
  flag?: { key: keyof ConfigFlags; cli: string };
  convert?: (value: string) => unknown;
}

/** Where each environment variable and flag lands in the configuration (DESIGN.md §5). */
const OVERRIDES: Override[] = [
  { path: ['dataDir'], env: 'INFERENCE_MESH_DATA_DIR', flag: { key: 'dataDir', cli: 'data-dir' } },
  { path: ['api', 'port'], env: 'INFERENCE_MESH_PORT', flag: { key: 'port', cli: 'port' }, convert: parsePort },
  { path: ['mesh', 'key'], env: 'INFERENCE_MESH_KEY', flag: { key: 'key', cli: 'key' } },
  { path: ['services', 'ollama', 'url'], env: 'OLLAMA_HOST', convert: parseOllamaHost },
  { path: ['services', 'immich-ml', 'url'], env: 'IMMICH_MACHINE_LEARNING_URL' },
  { path: ['discovery', 'mdns', 'interfaces'], flag: { key: 'mdnsInterface', cli: 'mdns-interface' }, convert: (v) => [v] },
];

function parsePort(value: string): number | Error {
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : new Error(`must be a port between 1 and 65535, got "${value}"`);
}

export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const configPath = opts.flags.config ?? (opts.env.INFERENCE_MESH_CONFIG || undefined) ?? null;
  let raw: Raw = {};
  const notes: string[] = [];
  if (configPath !== null) {
    const legacy = migrateLegacyKeys(await readConfigFile(configPath, opts.readFile));
    raw = legacy.raw;
    notes.push(...legacy.notes);
    const fileResult = configSchema.safeParse(raw);
    const fileIssues = [...legacy.conflicts, ...(fileResult.success ? [] : toIssues(fileResult.error))];
    if (fileIssues.length > 0) throw new ConfigError(configPath, fileIssues);
  }

  const origins = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  // Env first, then flags, so a flag wins over the same setting from the environment.
  const sources = [
    ...OVERRIDES.flatMap((o) => (o.env ? [{ o, name: o.env, value: opts.env[o.env] }] : [])),
    ...OVERRIDES.flatMap((o) => (o.flag ? [{ o, name: `--${o.flag.cli}`, value: opts.flags[o.flag.key] }] : [])),
  ];
  for (const { o, name, value } of sources) {
    if (value === undefined || value === '') continue;
    const converted = o.convert ? o.convert(value) : value;
    if (converted instanceof Error) {
      issues.push({ path: name, message: converted.message });
      continue;
    }
    setPath(raw, o.path, converted);
    origins.set(o.path.join('.'), name);
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of toIssues(result.error)) {
      const origin = findOrigin(origins, issue.path);
      issues.push(origin ? { path: `${issue.path} (from ${origin})`, message: issue.message } : issue);
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError('configuration from flags and environment', issues);
  const config = result.data;
  return { config: { ...config, node: { ...config.node, name: config.node.name ?? opts.hostname } }, configPath, notes };
}

async function readConfigFile(file: string, readFile: (f: string) => Promise<string>): Promise<Raw> {
  let text: string;
  try {
    text = await readFile(file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new ConfigError(file, [{ path: '(file)', message: `cannot read ${file}: ${why}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: `invalid JSON: ${(err as Error).message}` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(file, [{ path: '(file)', message: 'must be a JSON object' }]);
  }
  return parsed as Raw;
}

/** zod issues as `path: message`, one per unknown key so each misspelling is named. */
export function toIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: 'unknown key' }));
    }
    return [{ path: base || '(root)', message: issue.message }];
  });
}

function setPath(target: Raw, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Raw;
  }
  node[keys[keys.length - 1] as string] = value;
}

function findOrigin(origins: Map<string, string>, issuePath: string): string | undefined {
  for (const [p, origin] of origins) if (issuePath === p || issuePath.startsWith(`${p}.`)) return origin;
  return undefined;
}
