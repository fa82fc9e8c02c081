/**
 * The placement history, kept in the store (bounded: the oldest entries are dropped) for the UI
 * timeline and `GET /api/v1/history`.
 */
import { HISTORY_LIMIT, type History, type HistoryEntry } from '../scheduler/history-schema.js';
import type { Logger } from './kernel/log.js';
import type { Store } from './store.js';


export function createHistory(store: Store, nowMs: () => number, log: Logger, onAdd: (entry: HistoryEntry) => void = () => undefined): History {
  return {
    add(entry) {
      const full: HistoryEntry = { ...entry, atMs: entry.atMs ?? nowMs() };
      onAdd(full);
      store
        .update((s) => {
          s.history.push(full);
          if (s.history.length > HISTORY_LIMIT) s.history.splice(0, s.history.length - HISTORY_LIMIT);
        })
        .catch((err: unknown) => log.warn('could not save a history entry', { error: String(err) }));
    },
    list(opts = {}) {
      const since = opts.sinceMs ?? 0;
      const entries = store.get().history.filter((e) => e.atMs >= since);
      return opts.limit === undefined ? entries : entries.slice(-opts.limit);
    },
  };
}
