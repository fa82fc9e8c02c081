/**
 * Issue 13's third kind over real sockets: a speech-to-text server on the gaming PC's loopback,
 * reached from the hub through the PC's agent. Two agents on loopback (static peers); the server is
 * test/fakes/fake-whisper.ts, which follows speaches' wire format (speaches cannot be installed
 * here). The official openai client is the caller, as a family assistant would be.
 */
import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { placementAnswerSchema } from '../../scheduler/routing-status.js';
import { createFakeWhisper, silentWav, type FakeWhisper } from '../fakes/fake-whisper.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually } from '../helpers/cli.js';

const KEY = 'whisper-test-mesh-key-0123456789ab';
const MODEL = 'Systran/faster-whisper-small';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function mesh(): Promise<{ hub: TestAgent; pc: TestAgent; stt: FakeWhisper }> {
  const stt = createFakeWhisper({ models: [MODEL], text: 'Turn on the kitchen lights.' });
  await stt.start();
  cleanups.push(() => stt.stop());
  const common = { mesh: { key: KEY }, probes: { servicesIntervalSec: 1 }, services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } } };
  const pc = await startTestAgent({
    config: { ...common, node: { name: 'gaming-pc' }, services: { ...common.services, whisper: { enabled: true, url: stt.url } }, discovery: { mdns: { enabled: false }, healthIntervalMs: 200 } },
  });
  cleanups.push(() => pc.stop());
  const hub = await startTestAgent({ config: { ...common, node: { name: 'hub' }, discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] } } });
  cleanups.push(() => hub.stop());
  await eventually(async () => {
    const p = placementAnswerSchema.parse(await (await fetch(`${hub.url}/api/v1/placement`)).json());
    return p.kinds.whisper.elected === pc.agent.nodeId() ? true : undefined;
  });
  return { hub, pc, stt };
}

describe('speech-to-text as the third kind (issue 13)', () => {
  it('the hub elects the PC for whisper and a transcription through the hub is the server\'s answer, served by the PC', async () => {
    const { hub, pc, stt } = await mesh();
    const placement = placementAnswerSchema.parse(await (await fetch(`${hub.url}/api/v1/placement`)).json());
    expect(placement.kinds.whisper.candidates.map((c) => [c.name, c.eligible])).toEqual(expect.arrayContaining([['gaming-pc', true], ['hub', false]]));
    expect(placement.kinds.whisper.candidates.find((c) => c.name === 'hub')?.reason).toBe('no Whisper');

    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(silentWav(1))], { type: 'audio/wav' }), 'note.wav');
    form.set('model', MODEL);
    const res = await fetch(`${hub.url}/whisper/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-inference-mesh-node')).toBe('gaming-pc');
    expect(await res.json()).toEqual({ text: 'Turn on the kitchen lights.', logprobs: null, usage: null });
    const audio = stt.calls.filter((c) => c.path === '/v1/audio/transcriptions');
    expect(audio).toHaveLength(1);
    // The server sits on the PC's loopback: the PC's agent is the one that called it.
    expect(pc.agent.nodeId()).toBe(placement.kinds.whisper.elected);
  });

  it('the openai client works through /whisper/v1: transcription as text and srt, and an unknown model gets the server\'s own 404', async () => {
    const { hub } = await mesh();
    const client = new OpenAI({ baseURL: `${hub.url}/whisper/v1`, apiKey: 'unused', maxRetries: 0 });
    const file = await toFile(silentWav(1), 'note.wav', { type: 'audio/wav' });
    expect(await client.audio.transcriptions.create({ file, model: MODEL, response_format: 'text' })).toBe('Turn on the kitchen lights.');
    const srt = await client.audio.transcriptions.create({ file: await toFile(silentWav(1), 'note.wav'), model: MODEL, response_format: 'srt' });
    expect(srt).toMatch(/^1\n00:00:00,000 --> /);
    // Nobody lists `whisper-1`: it may be an alias, so the elected node answers, with its own 404 here.
    await expect(client.audio.transcriptions.create({ file: await toFile(silentWav(1), 'note.wav'), model: 'no-such-model' })).rejects.toMatchObject({ status: 404 });
  });

  it('with the PC gone, the hub answers 503 in OpenAI\'s error shape, saying why', async () => {
    const { hub, pc } = await mesh();
    await pc.stop();
    await eventually(async () => {
      const p = placementAnswerSchema.parse(await (await fetch(`${hub.url}/api/v1/placement`)).json());
      return p.kinds.whisper.elected === null ? true : undefined;
    });
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(silentWav(1))], { type: 'audio/wav' }), 'note.wav');
    form.set('model', MODEL);
    const res = await fetch(`${hub.url}/whisper/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('api_error');
    expect(body.error.message).toMatch(/^no node is serving Whisper/);
  });
});
