/** The key prompt of `inference-mesh join`: raw mode while asking, nothing echoed, restored after. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PromptCancelledError, promptSecret, type SecretInput } from '../../../agent/cli/prompt-secret.js';

function terminal(): { input: SecretInput & PassThrough; rawModes: boolean[]; output: PassThrough; shown: () => string } {
  const input = new PassThrough() as PassThrough & SecretInput;
  const rawModes: boolean[] = [];
  input.isRaw = false;
  input.setRawMode = (raw: boolean) => {
    rawModes.push(raw);
    input.isRaw = raw;
  };
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  return { input, rawModes, output, shown: () => shown };
}

describe('promptSecret', () => {
  it('reads up to Enter in raw mode, handles backspace, echoes nothing and restores the mode', async () => {
    const t = terminal();
    const answer = promptSecret('Key: ', t.input, t.output);
    t.input.write('secret-kex');
    t.input.write('\u007fy-123\r');
    await expect(answer).resolves.toBe('secret-key-123');
    expect(t.rawModes).toEqual([true, false]);
    expect(t.shown()).toBe('Key: \n');
  });

  it('Ctrl-C cancels with a typed error', async () => {
    const t = terminal();
    const answer = promptSecret('Key: ', t.input, t.output);
    t.input.write('abc\u0003');
    await expect(answer).rejects.toBeInstanceOf(PromptCancelledError);
    expect(t.rawModes).toEqual([true, false]);
  });
});
