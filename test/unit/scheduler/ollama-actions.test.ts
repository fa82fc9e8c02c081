/**
 * Unload/preload against the faithful fake Ollama over real loopback sockets, through the official
 * client (PROTOCOLS.md §1.6, §1.8, §1.11). Assertions are on what reached the wire (`calls`) and on
 * the fake's resulting state, not on mocks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OllamaActionError, preloadModels, unloadAllModels } from '../../../agent/adapters/ollama-models.js';
import { createFakeOllama } from '../../fakes/fake-ollama.js';
import type { FakeModelSpec, FakeOllama, OllamaCall } from '../../fakes/fake-ollama.js';

const MODELS: FakeModelSpec[] = [{ name: 'llama3.2:3b' }, { name: 'qwen2.5:7b' }, { name: 'mistral' }, { name: 'nomic-embed-text' }];

const fakes: FakeOllama[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function startFake(models: FakeModelSpec[] = MODELS): Promise<FakeOllama> {
  const fake = createFakeOllama({ models });
  fakes.push(fake);
  await fake.start();
  return fake;
}

function generateCalls(fake: FakeOllama): { model: unknown; prompt: unknown; keep_alive?: unknown; stream?: unknown }[] {
  return fake.calls.filter((c) => c.method === 'POST' && c.path === '/api/generate').map((c) => c.body as { model: unknown; prompt: unknown });
}

const route = (c: OllamaCall): string => `${c.method} ${c.path} ${c.status ?? '-'}`;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('preloadModels', () => {
  it('loads the models with an empty prompt and no keep_alive 0', async () => {
    const fake = await startFake();
    const result = await preloadModels({ url: fake.url, fetch, models: ['llama3.2:3b', 'qwen2.5:7b'] });

    expect(result).toEqual({ loaded: ['llama3.2:3b', 'qwen2.5:7b'], missing: [] });
    expect(fake.loadedModels().sort()).toEqual(['llama3.2:3b', 'qwen2.5:7b']);
    const calls = generateCalls(fake);
    expect(calls).toEqual([
      { model: 'llama3.2:3b', prompt: '', stream: false },
      { model: 'qwen2.5:7b', prompt: '', stream: false },
    ]);
    for (const call of calls) expect(call).not.toHaveProperty('keep_alive');
    expect(fake.calls.map(route)).toEqual(['POST /api/generate 200', 'POST /api/generate 200']);
  });

  it('passes keepAlive through as keep_alive', async () => {
    const fake = await startFake();
    await preloadModels({ url: fake.url, fetch, models: ['mistral'], keepAlive: '30m' });
    await preloadModels({ url: fake.url, fetch, models: ['llama3.2:3b'], keepAlive: -1 });
    expect(generateCalls(fake)).toEqual([
      { model: 'mistral', prompt: '', stream: false, keep_alive: '30m' },
      { model: 'llama3.2:3b', prompt: '', stream: false, keep_alive: -1 },
    ]);
    expect(fake.loadedModels().sort()).toEqual(['llama3.2:3b', 'mistral:latest']);
  });

  it('puts a model the node does not have into missing and still loads the others', async () => {
    const fake = await startFake();
    const result = await preloadModels({ url: fake.url, fetch, models: ['gemma3:27b', 'mistral'] });
    expect(result).toEqual({ loaded: ['mistral'], missing: ['gemma3:27b'] });
    expect(fake.calls.map(route)).toEqual(['POST /api/generate 404', 'POST /api/generate 200']);
    expect(fake.loadedModels()).toEqual(['mistral:latest']);
  });

  it('loads an embedding model through /api/embed with an empty input (it cannot generate)', async () => {
    const fake = await startFake();
    const result = await preloadModels({ url: fake.url, fetch, models: ['nomic-embed-text'], keepAlive: '1h' });
    expect(result).toEqual({ loaded: ['nomic-embed-text'], missing: [] });
    expect(fake.calls.map(route)).toEqual(['POST /api/generate 400', 'POST /api/embed 200']);
    expect(fake.calls[1]?.body).toEqual({ model: 'nomic-embed-text', input: [], keep_alive: '1h' });
    expect(fake.loadedModels()).toEqual(['nomic-embed-text:latest']);
  });

  it.each([0, '0', '0s', '0m0s', '-0h'])('refuses keepAlive %j: with an empty prompt that is an unload', async (keepAlive) => {
    const fake = await startFake();
    const err = await rejection(preloadModels({ url: fake.url, fetch, models: ['mistral'], keepAlive }));
    expect(err.message).toMatch(/would unload the models, not preload them/);
    expect(fake.calls).toHaveLength(0);
  });

  it('collects per-model refusals, loads the rest, then throws with what was done', async () => {
    const fake = await startFake();
    fake.failNext({ kind: 'status', status: 500, message: 'model requires more system memory (12.3 GiB) than is available (8.0 GiB)' });
    const err = await rejection(preloadModels({ url: fake.url, fetch, models: ['qwen2.5:7b', 'mistral', 'nope'] }));
    expect(err).toBeInstanceOf(OllamaActionError);
    expect(err.message).toBe(
      `Ollama at ${fake.url} did not load qwen2.5:7b (HTTP 500: model requires more system memory (12.3 GiB) than is available (8.0 GiB))`,
    );
    expect((err as OllamaActionError).details).toMatchObject({ loaded: ['mistral'], missing: ['nope'] });
    expect(fake.loadedModels()).toEqual(['mistral:latest']);
  });

  it('rejects with a clear error when Ollama is down', async () => {
    const fake = await startFake();
    const url = fake.url;
    await fake.stop();
    const err = await rejection(preloadModels({ url, fetch, models: ['mistral'] }));
    expect(err).toBeInstanceOf(OllamaActionError);
    expect((err as OllamaActionError).code).toBe('ollama_unreachable');
    expect(err.message).toBe(`could not load mistral: connection refused at ${url}`);
  });
});

describe('unloadAllModels', () => {
  it('unloads every loaded model with keep_alive 0 and returns their names', async () => {
    const fake = await startFake();
    await preloadModels({ url: fake.url, fetch, models: ['llama3.2:3b', 'qwen2.5:7b', 'nomic-embed-text'] });
    expect(fake.loadedModels()).toHaveLength(3);
    fake.clearCalls();

    const unloaded = await unloadAllModels({ url: fake.url, fetch });

    expect(unloaded.sort()).toEqual(['llama3.2:3b', 'nomic-embed-text:latest', 'qwen2.5:7b']);
    expect(fake.loadedModels()).toEqual([]);
    expect(fake.calls[0] && route(fake.calls[0])).toBe('GET /api/ps 200');
    // One unload per loaded model, each an empty prompt with keep_alive 0 (PROTOCOLS.md §1.6);
    // the embedding model is unloaded through generate too: the unload check precedes the capability check.
    const calls = generateCalls(fake);
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call).toEqual({ model: call.model, prompt: '', keep_alive: 0, stream: false });
    expect(calls.map((c) => c.model).sort()).toEqual(unloaded.sort());
    expect(fake.calls.slice(1).every((c) => c.status === 200)).toBe(true);
  });

  it('sends only the ps request when nothing is loaded', async () => {
    const fake = await startFake();
    expect(await unloadAllModels({ url: fake.url, fetch })).toEqual([]);
    expect(fake.calls.map(route)).toEqual(['GET /api/ps 200']);
  });

  it('skips a model that vanished between the listing and its unload', async () => {
    const fake = await startFake();
    await preloadModels({ url: fake.url, fetch, models: ['llama3.2:3b', 'mistral'] });
    fake.clearCalls();
    // Someone runs `ollama rm mistral` right after our /api/ps answer arrives.
    const racingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = input instanceof Request ? input.url : input.toString();
      if (url.endsWith('/api/ps')) fake.setModels(MODELS.filter((m) => m.name !== 'mistral'));
      return response;
    };

    const unloaded = await unloadAllModels({ url: fake.url, fetch: racingFetch });

    expect(unloaded).toEqual(['llama3.2:3b']);
    expect(fake.calls.map((c) => `${route(c)} ${(c.body as { model?: string } | undefined)?.model ?? ''}`).sort()).toEqual([
      'GET /api/ps 200 ',
      'POST /api/generate 200 llama3.2:3b',
      'POST /api/generate 404 mistral:latest',
    ]);
    expect(fake.loadedModels()).toEqual([]);
  });

  it('keeps unloading the others when one unload is refused, then reports it', async () => {
    const fake = await startFake();
    await preloadModels({ url: fake.url, fetch, models: ['llama3.2:3b', 'mistral'] });
    fake.failNext({ kind: 'status', status: 503, message: 'server busy, please try again.  maximum pending requests exceeded' });
    const err = await rejection(unloadAllModels({ url: fake.url, fetch }));
    expect(err).toBeInstanceOf(OllamaActionError);
    expect((err as OllamaActionError).code).toBe('ollama_refused');
    // Ollama's text has two spaces before "maximum" (PROTOCOLS.md §1.9); it is passed on verbatim.
    expect(err.message).toMatch(/did not unload \S+ \(HTTP 503: server busy, please try again\. {2}maximum pending requests exceeded\)$/);
    expect(fake.loadedModels()).toHaveLength(1);
    expect(((err as OllamaActionError).details as { unloaded: string[] }).unloaded).toHaveLength(1);
  });

  it('rejects with a clear error when Ollama is down', async () => {
    const fake = await startFake();
    const url = fake.url;
    await fake.stop();
    const err = await rejection(unloadAllModels({ url, fetch }));
    expect(err).toBeInstanceOf(OllamaActionError);
    expect((err as OllamaActionError).code).toBe('ollama_unreachable');
    expect(err.message).toBe(`could not list the loaded models: connection refused at ${url}`);
  });

  it('says so when the URL is not Ollama', async () => {
    const fake = await startFake();
    // GET / answers the text "Ollama is running", which is not /api/ps JSON.
    const notOllama: typeof fetch = (_input, init) => fetch(`${fake.url}/`, init);
    const err = await rejection(unloadAllModels({ url: fake.url, fetch: notOllama }));
    expect((err as OllamaActionError).code).toBe('ollama_bad_answer');
    expect(err.message).toBe(`could not list the loaded models: unexpected answer from ${fake.url} (is this really Ollama?)`);
  });

  it('rejects with the abort reason, not an Ollama error, when the caller aborts', async () => {
    const fake = await startFake();
    await preloadModels({ url: fake.url, fetch, models: ['mistral'] });
    fake.setHang(true);
    const controller = new AbortController();
    const pending = unloadAllModels({ url: fake.url, fetch, signal: controller.signal });
    await fake.waitForCall((c) => c.path === '/api/ps');
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });
});
