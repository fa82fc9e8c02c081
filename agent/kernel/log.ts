/**
 * A small structured logger: one line per event, `time LEVEL scope: message key=value ...`.
 * The sink is injected (main.ts passes stderr), so tests capture lines instead of printing them.
 */
export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
type EventLevel = Exclude<LogLevel, 'silent'>;

export type LogFields = Record<string, unknown>;

export interface LogRecord {
  timeMs: number;
  level: EventLevel;
  scope: string;
  message: string;
  fields: LogFields;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a sub-component: `log.child('probe.ollama')`. */
  child(scope: string): Logger;
  /**
   * Logs at most once per `key` for the life of this logger tree, for input that would otherwise
   * repeat on every poll (a malformed peer advert, a missing binary). Only the newest
   * MAX_ONCE_KEYS keys are remembered.
   */
  once(key: string, level: EventLevel, message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level: LogLevel;
  nowMs: () => number;
  sink: (record: LogRecord, line: string) => void;
  scope?: string;
  /** How a record becomes a line (agent/kernel/log-format.ts); default formatLogRecord. */
  format?: (record: LogRecord) => string;
}

/** How many `once` keys a logger tree remembers. */
export const MAX_ONCE_KEYS = 1000;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function formatLogRecord(r: LogRecord): string {
  const parts = Object.entries(r.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|=|"/.test(v) ? v : JSON.stringify(v)}`);
  const scope = r.scope ? `${r.scope}: ` : '';
  return `${new Date(r.timeMs).toISOString()} ${r.level.toUpperCase().padEnd(5)} ${scope}${r.message}${parts.length ? ` ${parts.join(' ')}` : ''}`;
}

export function createLogger(opts: LoggerOptions, onceKeys = new Set<string>()): Logger {
  const scope = opts.scope ?? '';
  const emit = (level: EventLevel, message: string, fields: LogFields = {}): void => {
    if (rank[level] < rank[opts.level]) return;
    const record: LogRecord = { timeMs: opts.nowMs(), level, scope, message, fields };
    opts.sink(record, (opts.format ?? formatLogRecord)(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (child) => createLogger({ ...opts, scope: scope ? `${scope}.${child}` : child }, onceKeys),
    once(key, level, message, fields) {
      if (onceKeys.has(key)) return;
      // Keys often carry what a remote sent (an mDNS instance name, an address): bounded, or a
      // flood of distinct names grows the Set for ever (issue 11). The oldest key goes first (a Set
      // iterates in insertion order), so its message may be logged once more much later.
      if (onceKeys.size >= MAX_ONCE_KEYS) {
        const oldest = onceKeys.values().next();
        if (!oldest.done) onceKeys.delete(oldest.value);
      }
      onceKeys.add(key);
      emit(level, message, fields);
    },
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: 'silent', nowMs: () => 0, sink: () => undefined });
