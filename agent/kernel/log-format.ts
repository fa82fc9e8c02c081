/**
 * How a log record becomes a line, for each reader (issue 16, "logs for their reader"):
 * - `text`: a person at a terminal: `time LEVEL scope: message key=value ...` (agent/kernel/log.ts);
 * - `journal`: systemd's journal, which stamps the time itself and reads the priority from a
 *   `<N>` prefix (sd-daemon(3), "SD_ERR"..."SD_DEBUG"), so `journalctl -p warning` filters;
 * - `json`: one JSON object per line for log shippers.
 * main.ts picks one with `chooseLogFormat` and injects it into the logger.
 */
import { formatLogRecord, type LogRecord } from './log.js';

export const LOG_FORMATS = ['text', 'journal', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** syslog priorities as sd-daemon(3) defines the prefixes: `<3>` err, `<4>` warning, `<6>` info, `<7>` debug. */
const JOURNAL_PRIORITY: Record<LogRecord['level'], number> = { error: 3, warn: 4, info: 6, debug: 7 };

function fieldText(value: unknown): string {
  return typeof value === 'string' && !/\s|=|"/.test(value) ? value : safeJson(value);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v)) ?? String(value);
  } catch {
    // A cycle: a log line must never throw.
    return JSON.stringify(String(value));
  }
}

/** `<6>scope: message key=value`: no timestamp (the journal adds its own), priority first. */
export function formatJournalRecord(r: LogRecord): string {
  const parts = Object.entries(r.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${fieldText(v)}`);
  const scope = r.scope ? `${r.scope}: ` : '';
  // A line break inside a message would start a new journal entry at the default priority.
  const message = `${scope}${r.message}${parts.length ? ` ${parts.join(' ')}` : ''}`.replace(/\r?\n/g, ' ');
  return `<${JOURNAL_PRIORITY[r.level]}>${message}`;
}

/** `{"time":"…","level":"warn","scope":"…","message":"…",…fields}`; a field never hides these four. */
export function formatJsonRecord(r: LogRecord): string {
  const fields = Object.fromEntries(Object.entries(r.fields).filter(([, v]) => v !== undefined));
  return safeJson({ ...fields, time: new Date(r.timeMs).toISOString(), level: r.level, scope: r.scope, message: r.message });
}

export function logFormatter(format: LogFormat): (r: LogRecord) => string {
  switch (format) {
    case 'text':
      return formatLogRecord;
    case 'journal':
      return formatJournalRecord;
    case 'json':
      return formatJsonRecord;
  }
}

/**
 * Whether stderr is the journal: systemd sets JOURNAL_STREAM to the `device:inode` of the stream
 * it connects stderr to, and programs should compare it with their own stderr, because children
 * inherit the variable after their stderr went elsewhere (systemd.exec(5), "$JOURNAL_STREAM"): a
 * shell in a terminal started by a user service has it too.
 */
export function isJournalStream(journalStream: string | undefined, stderr: { dev: number | bigint; ino: number | bigint } | null): boolean {
  if (!journalStream || !stderr) return false;
  return journalStream === `${stderr.dev}:${stderr.ino}`;
}

/** The flag wins, then the config file's `log.format`; on `auto`, the journal when stderr is it. */
export function chooseLogFormat(opts: { flag: LogFormat | undefined; configured: LogFormat | 'auto'; stderrIsJournal: boolean }): LogFormat {
  if (opts.flag) return opts.flag;
  if (opts.configured !== 'auto') return opts.configured;
  return opts.stderrIsJournal ? 'journal' : 'text';
}
