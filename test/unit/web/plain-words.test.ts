import { describe, expect, it } from 'vitest';
import { plainWords, serviceWords } from '../../../web/view/format.js';

describe('plain words for the web UI (issue 16)', () => {
  it.each([
    ['hub: Immich ML is down: connection refused at http://127.0.0.1:3003', 'hub: Immich ML is not running'],
    ['gaming-pc: Ollama is down: no answer within 5000 ms from http://127.0.0.1:11434; hub: Immich ML is down', 'gaming-pc: Ollama is not running; hub: Immich ML is not running'],
    ['pin to pc waiting: Ollama is down: connection refused at http://127.0.0.1:11434', 'pin to pc waiting: Ollama is not running'],
    ['outside window mon–fri 22:00–07:00, opens in 3 h', 'outside window mon–fri 22:00–07:00, opens in 3 h'],
    ['always offered', 'available at any time'],
  ])('%j → %j', (raw, plain) => {
    expect(plainWords(raw)).toBe(plain);
  });

  it('a card says running / not running, and keeps the raw reason for its details', () => {
    expect(serviceWords({ state: 'down', reason: 'connection refused at http://127.0.0.1:3003' })).toEqual({ text: 'not running', detail: 'connection refused at http://127.0.0.1:3003' });
    expect(serviceWords({ state: 'up', reason: null }, '0.33.0')).toEqual({ text: 'running · version 0.33.0', detail: null });
    expect(serviceWords(null)).toEqual({ text: 'not set up', detail: null });
  });
});
