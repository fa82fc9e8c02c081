/**
 * Issue 16, "logs for their reader": `<N>` priorities and no timestamp for the journal
 * (sd-daemon(3)), today's lines on a terminal, JSON for log shippers; main.ts picks by environment.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, type LogRecord } from '../../../agent/kernel/log.js';
import { chooseLogFormat, isJournalStream, logFormatter, type LogFormat } from '../../../agent/kernel/log-format.js';

const AT_MS = Date.UTC(2026, 11, 6, 21, 0, 0);

function lines(format: LogFormat): string[] {
  const out: string[] = [];
  const log = createLogger({ level: 'debug', nowMs: () => AT_MS, format: logFormatter(format), sink: (_r, line) => out.push(line) }).child('probe.ollama');
  log.debug('probing', { url: 'http://127.0.0.1:11434' });
  log.info('Ollama is up', { models: 2 });
  log.warn('Ollama is down', { reason: 'connection refused at http://127.0.0.1:11434' });
  log.error('cannot start: port 7650 is in use\nsecond line');
  return out;
}

describe('log formats', () => {
  it('journal: a <N> priority per level, no timestamp of its own, one line per entry', () => {
    expect(lines('journal')).toEqual([
      '<7>probe.ollama: probing url=http://127.0.0.1:11434',
      '<6>probe.ollama: Ollama is up models=2',
      '<4>probe.ollama: Ollama is down reason="connection refused at http://127.0.0.1:11434"',
      '<3>probe.ollama: cannot start: port 7650 is in use second line',
    ]);
  });

  it('text: today’s terminal format, unchanged', () => {
    const [, info, warn] = lines('text');
    expect(info).toBe('2026-12-06T21:00:00.000Z INFO  probe.ollama: Ollama is up models=2');
    expect(warn).toBe('2026-12-06T21:00:00.000Z WARN  probe.ollama: Ollama is down reason="connection refused at http://127.0.0.1:11434"');
  });

  it('json: one object per line with time, level, scope, message and the fields; a field cannot hide them', () => {
    const [, info] = lines('json');
    expect(JSON.parse(info ?? '')).toEqual({ time: '2026-12-06T21:00:00.000Z', level: 'info', scope: 'probe.ollama', message: 'Ollama is up', models: 2 });
    const record: LogRecord = { timeMs: AT_MS, level: 'warn', scope: '', message: 'm', fields: { level: 'fake', n: 10n, err: new Error('boom'), gone: undefined } };
    expect(JSON.parse(logFormatter('json')(record))).toEqual({ time: '2026-12-06T21:00:00.000Z', level: 'warn', scope: '', message: 'm', n: '10', err: 'boom' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => logFormatter('json')({ ...record, fields: { cyclic } })).not.toThrow();
  });

  it.each([
    [{ flag: undefined, configured: 'auto', stderrIsJournal: true }, 'journal'],
    [{ flag: undefined, configured: 'auto', stderrIsJournal: false }, 'text'],
    [{ flag: undefined, configured: 'json', stderrIsJournal: true }, 'json'],
    [{ flag: 'text', configured: 'json', stderrIsJournal: true }, 'text'],
  ] as const)('chooses %j → %s (flag > config > environment)', (opts, expected) => {
    expect(chooseLogFormat(opts)).toBe(expected);
  });

  it('stderr is the journal only when JOURNAL_STREAM names its device and inode', () => {
    expect(isJournalStream('8:12345', { dev: 8, ino: 12345 })).toBe(true);
    expect(isJournalStream('8:12345', { dev: 8n, ino: 12345n })).toBe(true);
    // Inherited by a shell whose stderr is a terminal now.
    expect(isJournalStream('8:12345', { dev: 22, ino: 3 })).toBe(false);
    expect(isJournalStream(undefined, { dev: 8, ino: 12345 })).toBe(false);
    expect(isJournalStream('8:12345', null)).toBe(false);
  });
});
