/**
 * The aggregated model lists (issue 5 §2): `/api/tags` and `/api/ps` merged across eligible nodes
 * (deduplicated by name, the first — best-placed — node's entry wins), and `/v1/models` in the
 * OpenAI shape Ollama itself uses (PROTOCOLS.md §1.10).
 */
export function mergeModelLists(lists: readonly Record<string, unknown>[][]): Record<string, unknown>[] {
  const seen = new Map<string, Record<string, unknown>>();
  for (const list of lists) for (const m of list) if (typeof m.name === 'string' && !seen.has(m.name)) seen.set(m.name, m);
  return [...seen.values()];
}

export function openAiModel(m: Record<string, unknown>): Record<string, unknown> {
  const name = String(m.name);
  const modified = typeof m.modified_at === 'string' ? Date.parse(m.modified_at) : Number.NaN;
  const slash = name.indexOf('/');
  return { id: name, object: 'model', created: Number.isNaN(modified) ? 0 : Math.floor(modified / 1000), owned_by: slash === -1 ? 'library' : name.slice(0, slash) };
}
