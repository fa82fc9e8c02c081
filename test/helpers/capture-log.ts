import { createLogger, type LogRecord, type Logger } from '../../agent/kernel/log.js';

/** A logger that keeps every record, for asserting what the agent said. */
export function captureLog(): { log: Logger; records: LogRecord[]; lines: string[] } {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    nowMs: () => 0,
    sink: (r, line) => {
      records.push(r);
      lines.push(line);
    },
  });
  return { log, records, lines };
}
