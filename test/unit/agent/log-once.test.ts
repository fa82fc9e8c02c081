import { describe, expect, it } from 'vitest';
import { MAX_ONCE_KEYS } from '../../../agent/kernel/log.js';
import { captureLog } from '../../helpers/capture-log.js';

describe('log.once', () => {
  it('logs a key once, across children of the same logger', () => {
    const { log, lines } = captureLog();
    log.once('k', 'warn', 'first');
    log.child('x').once('k', 'warn', 'again');
    expect(lines).toHaveLength(1);
  });

  it('remembers only the newest keys: a flood of distinct keys is bounded (the oldest may log again)', () => {
    const { log, lines } = captureLog();
    for (let i = 0; i <= MAX_ONCE_KEYS; i++) log.once(`attacker-name-${i}`, 'warn', 'line');
    expect(lines).toHaveLength(MAX_ONCE_KEYS + 1);
    log.once(`attacker-name-${MAX_ONCE_KEYS}`, 'warn', 'line'); // newest: still remembered
    expect(lines).toHaveLength(MAX_ONCE_KEYS + 1);
    log.once('attacker-name-0', 'warn', 'line'); // oldest: pruned
    expect(lines).toHaveLength(MAX_ONCE_KEYS + 2);
  });
});
