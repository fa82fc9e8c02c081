/**
 * The fake Ollama reporting a configured speed (issue 15): its final metrics agree with the
 * tokens/s asked for, in the units of PROTOCOLS.md §1.3 (counts; durations in nanoseconds), and with
 * `pace` it streams at that speed. Read back through the speed tap, as the agent will read it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpeedTap, speedSampleOf } from '../../api/proxy/speed-tap.js';
import { createFakeOllama, DEFAULT_RESPONSE_TOKENS } from '../fakes/fake-ollama.js';
import type { FakeOllama, FakeOllamaOptions } from '../fakes/fake-ollama.js';

const MODEL = 'llama3.2:3b';
const PROMPT = 'Why is the sky blue? Answer in one sentence.'; // 44 chars: 11 prompt tokens in the fake
const PROMPT_TOKENS = 11;

const fakes: FakeOllama[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFake(opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const fake = createFakeOllama({ models: [{ name: MODEL }], ...opts });
  fakes.push(fake);
  await fake.start();
  return fake;
}

async function generate(url: string, body: Record<string, unknown>, path = '/api/generate'): Promise<{ text: string; sample: ReturnType<typeof speedSampleOf> }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify({ model: MODEL, prompt: PROMPT, ...body }) });
  expect(res.status).toBe(200);
  const tap = createSpeedTap({ nowMs: () => performance.now() });
  const decoder = new TextDecoder();
  let text = '';
  const reader = res.body!.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    tap.push(r.value);
    text += decoder.decode(r.value, { stream: true });
  }
  return { text, sample: speedSampleOf(tap.end(), 'bench', 0) };
}

const lastLine = (ndjson: string): Record<string, unknown> => JSON.parse(ndjson.trimEnd().split('\n').at(-1)!) as Record<string, unknown>;

describe('fake Ollama with a reported speed', () => {
  it('final metrics say exactly the configured tokens/s, in nanoseconds; total covers the parts', async () => {
    const fake = await startFake({ reportedSpeed: { tokensPerSec: 8, promptTokensPerSec: 40 } });
    const { text, sample } = await generate(fake.url, {});
    const final = lastLine(text);
    const tokens = DEFAULT_RESPONSE_TOKENS.length;
    expect(final).toMatchObject({
      done: true,
      eval_count: tokens,
      eval_duration: Math.round((tokens / 8) * 1e9),
      prompt_eval_count: PROMPT_TOKENS,
      prompt_eval_duration: Math.round((PROMPT_TOKENS / 40) * 1e9),
    });
    expect(final['load_duration']).toEqual(expect.any(Number));
    expect(final['total_duration'] as number).toBeGreaterThanOrEqual((final['load_duration'] as number) + (final['prompt_eval_duration'] as number) + (final['eval_duration'] as number));
    expect(sample?.genTokPerSec).toBeCloseTo(8, 9);
    expect(sample?.promptTokPerSec).toBeCloseTo(40, 9);
  });

  it('chat, stream:false and num_predict report the same speed; without a prompt rate the prompt time is measured', async () => {
    const fake = await startFake({ reportedSpeed: { tokensPerSec: 120 } });
    const chat = await fetch(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: MODEL, stream: false, messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 4 } }) });
    const body = (await chat.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ done: true, done_reason: 'length', eval_count: 4, eval_duration: Math.round((4 / 120) * 1e9) });
    expect(body['prompt_eval_duration']).toEqual(expect.any(Number));
    // No token generated: eval_count and eval_duration are both omitted (omitempty), not 0 and 1 ns.
    const none = await fetch(`${fake.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: MODEL, prompt: PROMPT, stream: false, options: { num_predict: 0 } }) });
    const noneBody = (await none.json()) as Record<string, unknown>;
    expect(noneBody).toMatchObject({ done: true, done_reason: 'length' });
    expect(noneBody).not.toHaveProperty('eval_count');
    expect(noneBody).not.toHaveProperty('eval_duration');
    const { sample } = await generate(fake.url, { stream: false });
    expect(sample?.genTokPerSec).toBeCloseTo(120, 9);
    expect(sample?.ttftMs).toBeNull(); // one object: no first token to time
  });

  it('the OpenAI path carries the counts in usage; the default (no reported speed) still measures real time', async () => {
    const fake = await startFake({ reportedSpeed: { tokensPerSec: 50, promptTokensPerSec: 500 } });
    const res = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: PROMPT }] }) });
    const body = (await res.json()) as { usage: Record<string, number> };
    expect(body.usage).toEqual({ prompt_tokens: 4 + PROMPT_TOKENS, completion_tokens: DEFAULT_RESPONSE_TOKENS.length, total_tokens: 4 + PROMPT_TOKENS + DEFAULT_RESPONSE_TOKENS.length });

    fake.setReportedSpeed(undefined);
    const measured = lastLine((await generate(fake.url, {})).text);
    // Default pace 200 tokens/s: 9 tokens take 45 ms of real time, never exactly the 8 tokens/s figure.
    expect(measured['eval_duration']).not.toBe(Math.round((DEFAULT_RESPONSE_TOKENS.length / 8) * 1e9));
    fake.setReportedSpeed({ tokensPerSec: 8 });
    expect(lastLine((await generate(fake.url, {})).text)['eval_duration']).toBe(Math.round((DEFAULT_RESPONSE_TOKENS.length / 8) * 1e9));
  });

  it('with pace it streams at the reported speed (lower bounds only: timers never fire early by much)', async () => {
    const tokens = DEFAULT_RESPONSE_TOKENS.length;
    const fake = await startFake({ reportedSpeed: { tokensPerSec: 40, promptTokensPerSec: 100, pace: true } });
    const t0 = performance.now();
    const res = await fetch(`${fake.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: MODEL, prompt: PROMPT }) });
    const reader = res.body!.getReader();
    await reader.read();
    const firstMs = performance.now() - t0;
    while (!(await reader.read()).done);
    const totalMs = performance.now() - t0;
    // Prompt: 11 tokens at 100/s = 110 ms before the first token; then 9 tokens at 40/s = 225 ms.
    expect(firstMs).toBeGreaterThanOrEqual(100);
    expect(totalMs).toBeGreaterThanOrEqual(100 + (tokens * 1000) / 40 - 10);
    // Without pace the same figures come back at once (the fake's default pace is 200 tokens/s).
    fake.setReportedSpeed({ tokensPerSec: 40, promptTokensPerSec: 100 });
    const { text } = await generate(fake.url, {});
    expect(lastLine(text)).toMatchObject({ eval_duration: Math.round((tokens / 40) * 1e9), prompt_eval_duration: 110_000_000 });
  });
});

describe('fake Ollama command line', () => {
  function run(args: string[]): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/cli.ts', 'ollama', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  }

  it('--report-tokens-per-sec and --report-prompt-tokens-per-sec set the figures of the final line', async () => {
    const child = run(['--port', '0', '--models', MODEL, '--report-tokens-per-sec', '120', '--report-prompt-tokens-per-sec', '900']);
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const url = line.toString('utf8').trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { sample } = await generate(url, {});
    expect(sample?.genTokPerSec).toBeCloseTo(120, 3); // durations are whole nanoseconds
    expect(sample?.promptTokPerSec).toBeCloseTo(900, 3);
  });

  it('refuses a prompt rate or --pace-reported without --report-tokens-per-sec, and a zero rate (exit 2)', async () => {
    for (const args of [['--port', '0', '--pace-reported'], ['--port', '0', '--report-prompt-tokens-per-sec', '5'], ['--port', '0', '--report-tokens-per-sec', '0']]) {
      const child = run(args);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain('report-');
    }
  });
});
