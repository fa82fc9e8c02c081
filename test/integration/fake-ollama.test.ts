/**
 * The fake Ollama checked with the official `ollama` npm client (PROTOCOLS.md §1.11) and with raw
 * HTTP for the exact framing (§1.1, §1.3, §1.9, §1.10). If these pass, a proxy tested against the
 * fake sees what it would see from a real Ollama.
 */
import http from 'node:http';
import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeOllama, DEFAULT_MID_STREAM_ERROR, DEFAULT_RESPONSE_TOKENS } from '../fakes/fake-ollama.js';
import type { FakeOllama, FakeOllamaOptions } from '../fakes/fake-ollama.js';
import { leakedSince, activeResources } from '../helpers/resources.js';

const MODELS = [{ name: 'llama3.2:3b', family: 'llama' }, { name: 'qwen2.5' }, { name: 'nomic-embed-text', embeddingLength: 16 }];
const ANSWER = DEFAULT_RESPONSE_TOKENS.join('');

const fakes: FakeOllama[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFake(opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const fake = createFakeOllama({ models: MODELS, ...opts });
  fakes.push(fake);
  await fake.start();
  return fake;
}

/** ResponseError is not exported by the client; check its shape. */
async function responseError(promise: Promise<unknown>): Promise<{ status_code: number; error: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).name).toBe('ResponseError');
  return err as { status_code: number; error: string };
}

function post(fake: FakeOllama, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fake.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
}

function ndjsonLines(text: string): Record<string, unknown>[] {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  for (const line of lines) expect(line).not.toBe('');
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function sseEvents(text: string): string[] {
  expect(text.endsWith('\n\n')).toBe(true);
  const events = text.slice(0, -2).split('\n\n');
  for (const event of events) expect(event.startsWith('data: ')).toBe(true);
  return events.map((e) => e.slice('data: '.length));
}

describe('fake Ollama with the official ollama client', () => {
  it('lists models with normalised names and the full /api/tags shape', async () => {
    const fake = await startFake();
    const { models } = await new Ollama({ host: fake.url }).list();
    expect(models.map((m) => m.name)).toEqual(['llama3.2:3b', 'qwen2.5:latest', 'nomic-embed-text:latest']);
    const llama = models[0];
    expect(llama?.model).toBe('llama3.2:3b');
    expect(llama?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(llama?.size).toBeGreaterThan(0);
    expect(Number.isNaN(new Date(llama?.modified_at ?? '').getTime())).toBe(false);
    expect(llama?.details).toEqual({
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '3B',
      quantization_level: 'Q4_K_M',
    });
  });

  it('reports the version and shows a model; show of a missing model is a 404 with the normalised name', async () => {
    const fake = await startFake({ version: '0.33.1' });
    const ollama = new Ollama({ host: fake.url });
    expect(await ollama.version()).toEqual({ version: '0.33.1' });
    const shown = await ollama.show({ model: 'qwen2.5' });
    expect(shown.capabilities).toContain('completion');
    expect(shown.details.parameter_size).toBe('3.2B');
    expect(shown.model_info).toHaveProperty('general.architecture');
    const err = await responseError(ollama.show({ model: 'missing' }));
    expect(err.status_code).toBe(404);
    expect(err.error).toBe("model 'missing:latest' not found");
  });

  it('streams a chat to the end; the model then shows in ps with VRAM and expiry', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    expect((await ollama.ps()).models).toEqual([]);
    let text = '';
    const parts = [];
    for await (const part of await ollama.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'why is the sky blue?' }], stream: true })) {
      text += part.message.content;
      parts.push(part);
    }
    expect(text).toBe(ANSWER);
    const last = parts.at(-1);
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: DEFAULT_RESPONSE_TOKENS.length });
    expect(last?.total_duration).toBeGreaterThan(0);
    expect(parts.slice(0, -1).every((p) => !p.done && p.message.role === 'assistant')).toBe(true);
    const { models } = await ollama.ps();
    expect(models.map((m) => m.name)).toEqual(['llama3.2:3b']);
    expect(models[0]?.size_vram).toBe(models[0]?.size);
    expect(new Date(models[0]?.expires_at ?? 0).getTime()).toBeGreaterThan(Date.now());
  });

  it('generates streamed and non-streamed with the same text', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    let streamed = '';
    for await (const part of await ollama.generate({ model: 'qwen2.5', prompt: 'hello', stream: true })) streamed += part.response;
    expect(streamed).toBe(ANSWER);
    const single = await ollama.generate({ model: 'qwen2.5', prompt: 'hello' });
    expect(single.response).toBe(ANSWER);
    expect(single).toMatchObject({ done: true, done_reason: 'stop', eval_count: DEFAULT_RESPONSE_TOKENS.length });
    expect(single.context.length).toBeGreaterThan(0);
  });

  it('num_predict cuts the answer and reports done_reason "length"', async () => {
    const fake = await startFake();
    const out = await new Ollama({ host: fake.url }).generate({ model: 'qwen2.5', prompt: 'x', options: { num_predict: 2 } });
    expect(out.response).toBe(DEFAULT_RESPONSE_TOKENS.slice(0, 2).join(''));
    expect(out.done_reason).toBe('length');
  });

  it('embeds deterministically with unit-length vectors; the legacy endpoint answers too', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    const first = await ollama.embed({ model: 'nomic-embed-text', input: ['a cat', 'a dog'] });
    expect(first.model).toBe('nomic-embed-text');
    expect(first.embeddings).toHaveLength(2);
    for (const vector of first.embeddings) {
      expect(vector).toHaveLength(16);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    expect(first.embeddings[0]).not.toEqual(first.embeddings[1]);
    const again = await ollama.embed({ model: 'nomic-embed-text', input: 'a cat' });
    expect(again.embeddings[0]).toEqual(first.embeddings[0]);
    const legacy = await ollama.embeddings({ model: 'nomic-embed-text', prompt: 'a cat' });
    expect(legacy.embedding).toHaveLength(16);
  });

  it('loads with an empty prompt and unloads with keep_alive 0; ps follows', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    const load = await ollama.generate({ model: 'llama3.2:3b', prompt: '' });
    expect(load).toMatchObject({ model: 'llama3.2:3b', response: '', done: true, done_reason: 'load' });
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(['llama3.2:3b']);
    const unload = await ollama.generate({ model: 'llama3.2:3b', prompt: '', keep_alive: 0 });
    expect(unload.done_reason).toBe('unload');
    expect((await ollama.ps()).models).toEqual([]);
    expect(fake.calls.some((c) => c.path === '/api/generate' && (c.body as { keep_alive?: unknown }).keep_alive === 0)).toBe(true);

    // Chat: messages [] loads; with keep_alive 0 it unloads and never loads.
    expect((await ollama.chat({ model: 'qwen2.5', messages: [] })).done_reason).toBe('load');
    expect((await ollama.chat({ model: 'qwen2.5', messages: [], keep_alive: 0 })).done_reason).toBe('unload');
    expect((await ollama.chat({ model: 'llama3.2:3b', messages: [], keep_alive: 0 })).message).toEqual({ role: 'assistant', content: '' });
    expect((await ollama.ps()).models).toEqual([]);

    // A real request with keep_alive 0 unloads once it is done.
    await ollama.generate({ model: 'qwen2.5', prompt: 'x', keep_alive: 0 });
    expect(fake.loadedModels()).toEqual([]);
  });

  it('missing models give 404 ResponseErrors with each endpoint’s exact text', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    const gen = await responseError(ollama.generate({ model: 'missing', prompt: 'x' }));
    expect([gen.status_code, gen.error]).toEqual([404, "model 'missing' not found"]);
    const chat = await responseError(ollama.chat({ model: 'missing', messages: [{ role: 'user', content: 'x' }], stream: true }));
    expect([chat.status_code, chat.error]).toEqual([404, "model 'missing' not found"]);
    const embed = await responseError(ollama.embed({ model: 'missing', input: 'x' }));
    expect([embed.status_code, embed.error]).toEqual([404, 'model "missing" not found, try pulling it first']);
  });

  it('a mid-stream error makes the iterator throw with the server’s message after the tokens sent', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    fake.failNext({ kind: 'midStream', afterTokens: 3 });
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const part of await ollama.chat({ model: 'qwen2.5', messages: [{ role: 'user', content: 'x' }], stream: true })) seen.push(part.message.content);
    };
    await expect(consume()).rejects.toThrow(DEFAULT_MID_STREAM_ERROR);
    expect(seen).toEqual(DEFAULT_RESPONSE_TOKENS.slice(0, 3));

    // Persistent setting with a custom message; stream:false turns it into a 500 JSON error.
    fake.setMidStreamError(1, 'CUDA error: out of memory');
    const err = await responseError(ollama.generate({ model: 'qwen2.5', prompt: 'x' }));
    expect([err.status_code, err.error]).toEqual([500, 'CUDA error: out of memory']);
  });

  it('a queued status fault answers the next inference request only', async () => {
    const fake = await startFake();
    const ollama = new Ollama({ host: fake.url });
    const busy = 'server busy, please try again.  maximum pending requests exceeded';
    fake.failNext({ kind: 'status', status: 503, message: busy });
    expect((await ollama.list()).models).toHaveLength(3); // not an inference route: untouched
    const err = await responseError(ollama.generate({ model: 'qwen2.5', prompt: 'x' }));
    expect([err.status_code, err.error]).toEqual([503, busy]);
    expect((await ollama.generate({ model: 'qwen2.5', prompt: 'x' })).response).toBe(ANSWER);
  });
});

describe('fake Ollama wire framing', () => {
  it('GET and HEAD / answer "Ollama is running" as text/plain; charset=utf-8', async () => {
    const fake = await startFake();
    const get = await fetch(fake.url);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await get.text()).toBe('Ollama is running');
    const head = await fetch(fake.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('17');
    expect(await head.text()).toBe('');
    const version = await fetch(`${fake.url}/api/version`);
    expect(version.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await version.text()).toBe('{"version":"0.33.0"}');
  });

  it('streams generate as NDJSON: every line \\n-terminated, metrics only on the final done line', async () => {
    const fake = await startFake();
    const res = await post(fake, '/api/generate', { model: 'llama3.2:3b', prompt: 'hi' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = ndjsonLines(await res.text());
    expect(lines).toHaveLength(DEFAULT_RESPONSE_TOKENS.length + 1);
    for (const line of lines.slice(0, -1)) {
      expect(line).toMatchObject({ model: 'llama3.2:3b', done: false });
      expect(line).not.toHaveProperty('eval_count');
    }
    const last = lines.at(-1) ?? {};
    expect(last).toMatchObject({ done: true, done_reason: 'stop', response: '', eval_count: DEFAULT_RESPONSE_TOKENS.length });
    for (const key of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_duration']) {
      expect(Number.isInteger(last[key])).toBe(true);
    }
    expect(Array.isArray(last['context'])).toBe(true);
    expect(lines.map((l) => l['response']).join('')).toBe(ANSWER);
  });

  it('stream:false is one JSON object; a load request is one object even when streaming', async () => {
    const fake = await startFake();
    const single = await post(fake, '/api/chat', { model: 'qwen2.5', messages: [{ role: 'user', content: 'x' }], stream: false });
    expect(single.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await single.json()) as { message: { content: string }; done: boolean };
    expect(body.message.content).toBe(ANSWER);
    expect(body.done).toBe(true);
    const load = await post(fake, '/api/chat', { model: 'qwen2.5', messages: [] });
    expect(load.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await load.json()).toMatchObject({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'load' });
  });

  it('request errors use {"error": ...} with gin’s texts', async () => {
    const fake = await startFake();
    const cases: [string, unknown, number, string][] = [
      ['/api/generate', '', 400, '{"error":"missing request body"}'],
      ['/api/generate', '{"model":', 400, '{"error":"unexpected EOF"}'],
      ['/api/generate', { model: 'missing', prompt: 'x' }, 404, `{"error":"model 'missing' not found"}`],
      ['/api/chat', { messages: [] }, 400, '{"error":"model is required"}'],
      ['/api/embed', { model: 'missing', input: 'x' }, 404, '{"error":"model \\"missing\\" not found, try pulling it first"}'],
      ['/api/generate', { model: 'qwen2.5', keep_alive: '10' }, 400, '{"error":"time: missing unit in duration \\"10\\""}'],
      ['/api/chat', { model: 'nomic-embed-text', messages: [{ role: 'user', content: 'x' }] }, 400, '{"error":"\\"nomic-embed-text\\" does not support chat"}'],
    ];
    for (const [path, body, status, text] of cases) {
      const res = await post(fake, path, body);
      expect([path, res.status, res.headers.get('content-type'), await res.text()]).toEqual([path, status, 'application/json; charset=utf-8', text]);
    }
  });

  it('a mid-stream error is one more NDJSON line and no done line; before any token it is a plain 500', async () => {
    const fake = await startFake();
    fake.failNext({ kind: 'midStream', afterTokens: 2, message: 'boom' });
    const res = await post(fake, '/api/generate', { model: 'qwen2.5', prompt: 'x' });
    expect(res.status).toBe(200);
    const lines = ndjsonLines(await res.text());
    expect(lines).toHaveLength(3);
    expect(lines[2]).toEqual({ error: 'boom' });
    expect(lines.some((l) => l['done'] === true)).toBe(false);

    fake.failNext({ kind: 'midStream', afterTokens: 0, message: 'boom' });
    const early = await post(fake, '/api/generate', { model: 'qwen2.5', prompt: 'x' });
    expect([early.status, early.headers.get('content-type'), await early.text()]).toEqual([500, 'application/json', '{"error":"boom"}']);
  });

  it('unknown paths are gin 404s; a known path with another method is a 405 with Allow', async () => {
    const fake = await startFake();
    const missing = await fetch(`${fake.url}/api/nope`);
    expect([missing.status, missing.headers.get('content-type'), await missing.text()]).toEqual([404, 'text/plain', '404 page not found']);
    const wrong = await fetch(`${fake.url}/api/generate`);
    expect([wrong.status, wrong.headers.get('content-type'), wrong.headers.get('allow'), await wrong.text()]).toEqual([
      405,
      'text/plain',
      'POST',
      '405 method not allowed',
    ]);
    const headPs = await fetch(`${fake.url}/api/ps`, { method: 'HEAD' });
    expect([headPs.status, headPs.headers.get('allow')]).toEqual([405, 'GET']);
  });

  it('answers 403 with an empty body to a Host header that is not local, like Ollama bound to loopback', async () => {
    const fake = await startFake();
    const request = (host: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: fake.port, path: '/api/tags', headers: { host } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
    expect(await request('gpu-box.tail1a2b3c.ts.net:11434')).toEqual({ status: 403, body: '' });
    expect((await request('localhost:11434')).status).toBe(200);
    expect((await request('192.168.1.20:11434')).status).toBe(200);
    expect((await request('mesh.local')).status).toBe(200);
  });

  it('OpenAI chat streams SSE: role first, content chunks, finish, usage, then [DONE]', async () => {
    const fake = await startFake();
    const res = await post(fake, '/v1/chat/completions', {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = sseEvents(text);
    expect(events.pop()).toBe('[DONE]');
    const chunks = events.map((e) => JSON.parse(e) as { id: string; object: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: Record<string, number> });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: 'The' });
    const usage = chunks.pop();
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage).toMatchObject({ completion_tokens: DEFAULT_RESPONSE_TOKENS.length });
    const finish = chunks.pop();
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.map((c) => c.choices[0]?.delta['content']).join('')).toBe(ANSWER);
  });

  it('OpenAI chat without stream is one chat.completion; errors use the OpenAI error shape', async () => {
    const fake = await startFake();
    const res = await post(fake, '/v1/chat/completions', { model: 'qwen2.5', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'qwen2.5',
      system_fingerprint: 'fp_ollama',
      choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
    });
    expect(String(body['id'])).toMatch(/^chatcmpl-\d{1,3}$/);

    const empty = await post(fake, '/v1/chat/completions', { model: 'qwen2.5', messages: [] });
    expect([empty.status, await empty.json()]).toEqual([
      400,
      { error: { message: "[] is too short - 'messages'", type: 'invalid_request_error', param: null, code: null } },
    ]);
    const missing = await post(fake, '/v1/chat/completions', { model: 'missing', messages: [{ role: 'user', content: 'x' }] });
    expect([missing.status, await missing.json()]).toEqual([
      404,
      { error: { message: "model 'missing' not found", type: 'not_found_error', param: null, code: null } },
    ]);
  });

  it('an OpenAI stream that fails mid-way ends without [DONE] (the error line becomes an empty chunk)', async () => {
    const fake = await startFake();
    fake.failNext({ kind: 'midStream', afterTokens: 2, path: '/v1/chat/completions' });
    const res = await post(fake, '/v1/chat/completions', { model: 'qwen2.5', messages: [{ role: 'user', content: 'x' }], stream: true });
    const events = sseEvents(await res.text());
    expect(events).not.toContain('[DONE]');
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2] ?? '{}')).toMatchObject({ model: '', choices: [{ delta: { content: '' }, finish_reason: null }] });
  });

  it('/v1/models lists models (data null when there are none) and /v1/models/:model retrieves one', async () => {
    const fake = await startFake();
    const list = (await (await fetch(`${fake.url}/v1/models`)).json()) as { object: string; data: { id: string; owned_by: string }[] };
    expect(list.object).toBe('list');
    expect(list.data.map((m) => m.id)).toEqual(['llama3.2:3b', 'qwen2.5:latest', 'nomic-embed-text:latest']);
    expect(list.data[0]?.owned_by).toBe('library');
    const one = await fetch(`${fake.url}/v1/models/qwen2.5`);
    expect(await one.json()).toMatchObject({ id: 'qwen2.5', object: 'model', owned_by: 'library' });
    const embeddings = await post(fake, '/v1/embeddings', { model: 'nomic-embed-text', input: ['a', 'b'] });
    const emb = (await embeddings.json()) as { data: { index: number; embedding: number[] }[] };
    expect(emb.data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 16],
      [1, 16],
    ]);
    fake.setModels([]);
    expect(await (await fetch(`${fake.url}/v1/models`)).text()).toBe('{"object":"list","data":null}\n');
  });
});

describe('fake Ollama lifecycle, aborts and hangs', () => {
  it('url throws before start; stop is idempotent; a restart keeps the port', async () => {
    const fake = createFakeOllama();
    fakes.push(fake);
    expect(() => fake.url).toThrow(/not been started/);
    await fake.start();
    const port = fake.port;
    await Promise.all([fake.stop(), fake.stop()]);
    await fake.stop();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await fake.start();
    expect(fake.port).toBe(port);
    expect(await (await fetch(fake.url)).text()).toBe('Ollama is running');
  });

  it('a client abort mid-stream stops the token timer and is recorded; lines were flushed one by one', async () => {
    const fake = await startFake({ tokensPerSec: 20 });
    const controller = new AbortController();
    const res = await post(fake, '/api/chat', { model: 'qwen2.5', messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    const firstText = new TextDecoder().decode(first.value);
    expect(firstText).toContain('"content":"The"');
    expect(firstText).not.toContain('"done":true');
    expect(fake.activeGenerations).toBe(1);
    controller.abort();
    const call = await fake.waitForCall((c) => c.path === '/api/chat' && c.aborted);
    expect(call.finished).toBe(false);
    expect(fake.activeGenerations).toBe(0);
    expect(fake.pendingTimers).toBe(0);
    // The model stays loaded after an abort (its keep-alive applies as usual).
    expect(fake.loadedModels()).toEqual(['qwen2.5:latest']);
  });

  it('hang mode accepts requests and never answers; the client timeout leaves the fake working', async () => {
    const fake = await startFake({ hang: 'inference' });
    const hung = post(fake, '/api/generate', { model: 'qwen2.5', prompt: 'x' }, { signal: AbortSignal.timeout(200) });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    const call = await fake.waitForCall((c) => c.path === '/api/generate' && c.aborted);
    expect(call.status).toBeUndefined();
    expect(await (await fetch(fake.url)).text()).toBe('Ollama is running');
    fake.setHang(false);
    expect((await new Ollama({ host: fake.url }).generate({ model: 'qwen2.5', prompt: 'x' })).response).toBe(ANSWER);
  });

  it('a reset fault drops the connection without a response', async () => {
    const fake = await startFake();
    fake.failNext({ kind: 'reset', path: '/api/tags' });
    await expect(fetch(`${fake.url}/api/tags`)).rejects.toThrow();
    expect((await fetch(`${fake.url}/api/tags`)).status).toBe(200);
  });

  it('stop() ends open streams and hung requests at once and leaves no server, socket or timer behind', async () => {
    const baseline = activeResources();
    const fake = createFakeOllama({ models: MODELS, tokensPerSec: 5, hang: false });
    await fake.start();
    const streaming = await post(fake, '/api/generate', { model: 'qwen2.5', prompt: 'x' });
    const reader = (streaming.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    fake.failNext({ kind: 'hang', path: '/api/ps' });
    const hung = fetch(`${fake.url}/api/ps`).then(
      () => 'answered',
      () => 'failed',
    );
    await fake.waitForCall((c) => c.path === '/api/ps');
    await fake.stop();
    expect(await hung).toBe('failed');
    await expect(reader.read()).rejects.toThrow();
    expect(fake.pendingTimers).toBe(0);
    expect(fake.activeGenerations).toBe(0);
    const leaked = await leakedSince(baseline);
    expect(leaked['TCPServerWrap']).toBeUndefined();
    expect(leaked['TCPSocketWrap']).toBeUndefined();
  });
});
