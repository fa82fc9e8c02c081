/**
 * Config keys from before the kinds registry (issue 13), read as their new names so an existing
 * agent.config.json keeps working. Each rename is reported once at start with the new spelling,
 * so the owner can update the file; a file that has both spellings is an error (which one wins
 * would be a guess).
 */
type Raw = Record<string, unknown>;

interface Rename {
  from: readonly string[];
  to: readonly string[];
}

const RENAMES: readonly Rename[] = [
  { from: ['services', 'immichMl'], to: ['services', 'immich-ml'] },
  { from: ['proxy', 'ollamaPort'], to: ['services', 'ollama', 'port'] },
  { from: ['proxy', 'immichMlPort'], to: ['services', 'immich-ml', 'port'] },
  { from: ['proxy', 'ollamaFirstByteTimeoutMs'], to: ['services', 'ollama', 'firstByteTimeoutMs'] },
  { from: ['proxy', 'immichTimeoutMs'], to: ['services', 'immich-ml', 'firstByteTimeoutMs'] },
];

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (keys: readonly string[]): string => keys.map((k, i) => (/^[A-Za-z_]\w*$/.test(k) ? `${i ? '.' : ''}${k}` : `["${k}"]`)).join('');

export interface LegacyResult {
  raw: Raw;
  /** One line per key read under its new name. */
  notes: string[];
  /** Keys given under both spellings. */
  conflicts: { path: string; message: string }[];
}

function take(raw: Raw, keys: readonly string[]): { found: boolean; value: unknown } {
  let node: unknown = raw;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(node)) return { found: false, value: undefined };
    node = node[k];
  }
  const last = keys[keys.length - 1] as string;
  if (!isObject(node) || !(last in node)) return { found: false, value: undefined };
  const value = node[last];
  delete node[last];
  return { found: true, value };
}

function put(raw: Raw, keys: readonly string[], value: unknown): boolean {
  let node = raw;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(node[k])) node[k] = {};
    node = node[k] as Raw;
  }
  const last = keys[keys.length - 1] as string;
  if (last in node) return false;
  node[last] = value;
  return true;
}

/** Endpoints named their URLs `ollamaUrl` / `immichMlUrl`; now `urls: { <kind>: … }`. */
function migrateEndpoints(raw: Raw, notes: string[]): void {
  const discovery = raw.discovery;
  if (!isObject(discovery) || !Array.isArray(discovery.endpoints)) return;
  let renamed = false;
  for (const e of discovery.endpoints as unknown[]) {
    if (!isObject(e)) continue;
    for (const [old, kind] of [['ollamaUrl', 'ollama'], ['immichMlUrl', 'immich-ml']] as const) {
      if (!(old in e)) continue;
      const urls = isObject(e.urls) ? e.urls : (e.urls = {});
      if (!(kind in (urls))) (urls)[kind] = e[old];
      delete e[old];
      renamed = true;
    }
  }
  if (renamed) notes.push('discovery.endpoints[].ollamaUrl / immichMlUrl are read as urls.ollama / urls["immich-ml"]; please rename them in the config file');
}

/** Returns a copy of `input` with the old keys moved to their new places. */
export function migrateLegacyKeys(input: Raw): LegacyResult {
  const raw = structuredClone(input);
  const notes: string[] = [];
  const conflicts: LegacyResult['conflicts'] = [];
  for (const r of RENAMES) {
    const { found, value } = take(raw, r.from);
    if (!found) continue;
    if (put(raw, r.to, value)) notes.push(`${show(r.from)} is read as ${show(r.to)}; please rename it in the config file`);
    else conflicts.push({ path: show(r.from), message: `the old name of ${show(r.to)}, which is also set: keep only ${show(r.to)}` });
  }
  migrateEndpoints(raw, notes);
  return { raw, notes, conflicts };
}
