/**
 * Asks for a secret on a terminal without echoing it (for `inference-mesh join`). The streams are
 * passed in (main.ts gives process.stdin and stderr), so this file never touches `process`.
 * Raw mode, as getpass(3) turns echo off: each typed character arrives at once and none is shown.
 */
import type { Writable } from 'node:stream';

/** The user pressed Ctrl-C or Ctrl-D at the prompt. */
export class PromptCancelledError extends Error {
  readonly code = 'prompt_cancelled';
  override name = 'PromptCancelledError';
}

export interface SecretInput {
  isRaw?: boolean;
  setRawMode?: (raw: boolean) => unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
}

export function promptSecret(question: string, input: SecretInput, output: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw === true;
    input.setRawMode?.(true);
    input.setEncoding('utf8');
    let value = '';
    const finish = (err?: Error): void => {
      input.off('data', onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        // Raw mode turns Ctrl-C into a plain byte (no SIGINT), so it is handled here.
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(new PromptCancelledError('cancelled at the prompt; nothing changed'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
