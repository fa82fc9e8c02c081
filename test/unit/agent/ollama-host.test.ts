import { describe, expect, it } from 'vitest';
import { parseOllamaHost } from '../../../agent/ollama-host.js';

// The cases of ollama/ollama envconfig/config_test.go TestHost (PROTOCOLS.md §1.1), made
// connectable the way Ollama's own CLI client does (0.0.0.0 and an empty host → loopback).
describe('parseOllamaHost', () => {
  it.each([
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['   ', 'http://127.0.0.1:11434'],
    ['1.2.3.4', 'http://1.2.3.4:11434'],
    [':1234', 'http://127.0.0.1:1234'],
    ['1.2.3.4:1234', 'http://1.2.3.4:1234'],
    ['example.com', 'http://example.com:11434'],
    ['example.com:1234', 'http://example.com:1234'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:8080', 'http://127.0.0.1:8080'],
    ['[::]', 'http://[::1]:11434'],
    ['[::]:1234', 'http://[::1]:1234'],
    ['::1', 'http://[::1]:11434'],
    ['[::1]:1234', 'http://[::1]:1234'],
    ['http://1.2.3.4', 'http://1.2.3.4:80'],
    ['http://1.2.3.4:4321', 'http://1.2.3.4:4321'],
    ['https://1.2.3.4', 'https://1.2.3.4:443'],
    ['https://example.com/ollama', 'https://example.com:443/ollama'],
    ['http://example.com:8080/ollama/', 'http://example.com:8080/ollama/'],
    [':66000', 'http://127.0.0.1:11434'],
    [':-1', 'http://127.0.0.1:11434'],
    ['"1.2.3.4"', 'http://1.2.3.4:11434'],
    ["' 1.2.3.4 '", 'http://1.2.3.4:11434'],
  ])('%j → %s', (input, expected) => {
    expect(parseOllamaHost(input)).toBe(expected);
  });
});
