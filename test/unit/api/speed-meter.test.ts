/** api/proxy/speed-meter.ts: only this node's own answers are measured, per model or task. */
import { describe, expect, it } from 'vitest';
import { createSpeedMeter, BENCH_HEADER } from '../../../api/proxy/speed-meter.js';
import type { Attempt } from '../../../api/proxy/forward.js';
import type { Target } from '../../../api/proxy/targets.js';
import type { SpeedSample } from '../../../agent/kernel/shapes/speed.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const target = (via: Target['via']): Target => ({ nodeId: 'n', name: 'n', via, host: '127.0.0.1', port: 1, pathPrefix: '', dialled: null });
const attempt = (via: Target['via']): Attempt => ({ target: target(via), path: '/api/generate', body: Buffer.alloc(0), rewrite: null, headers: {} });
const FINAL = `${JSON.stringify({ model: 'llama3.2:3b', response: 'hi', done: false })}\n${JSON.stringify({
  model: 'llama3.2:3b',
  response: '',
  done: true,
  eval_count: 120,
  eval_duration: 1e9,
  prompt_eval_count: 20,
  prompt_eval_duration: 5e7,
})}\n`;

function setup() {
  const clock = new FakeClock();
  const recorded: { subject: { kind: string; name: string }; sample: SpeedSample }[] = [];
  const meter = createSpeedMeter({ clock, record: (subject, sample) => recorded.push({ subject, sample }) });
  return { meter, recorded };
}

describe('speed meter', () => {
  it('measures an Ollama answer of this node\'s own service, per model', () => {
    const { meter, recorded } = setup();
    const m = meter({ kind: 'ollama', path: '/api/generate', headers: {}, body: Buffer.alloc(0) })(attempt('local'));
    m?.push(Buffer.from(FINAL));
    m?.end(200);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.subject).toEqual({ kind: 'model', name: 'llama3.2:3b' });
    expect(recorded[0]?.sample).toMatchObject({ source: 'traffic', genTokPerSec: 120, promptTokPerSec: 400 });
  });

  it('leaves answers of other nodes to them (relay or direct): counted once, where the work was done', () => {
    const { meter } = setup();
    const forRequest = meter({ kind: 'ollama', path: '/api/chat', headers: {}, body: Buffer.alloc(0) });
    expect(forRequest(attempt('relay'))).toBeNull();
    expect(forRequest(attempt('direct'))).toBeNull();
  });

  it('paths that carry no figures are not measured', () => {
    const { meter } = setup();
    expect(meter({ kind: 'ollama', path: '/api/tags', headers: {}, body: Buffer.alloc(0) })(attempt('local'))).toBeNull();
    expect(meter({ kind: 'whisper', path: '/v1/audio/transcriptions', headers: {}, body: Buffer.alloc(0) })(attempt('local'))).toBeNull();
    // A /predict whose task cannot be told.
    expect(meter({ kind: 'immich-ml', path: '/predict', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(0) })(attempt('local'))).toBeNull();
  });

  it('a bench request is recorded as such', () => {
    const { meter, recorded } = setup();
    const m = meter({ kind: 'ollama', path: '/api/generate', headers: { [BENCH_HEADER]: '1' }, body: Buffer.alloc(0) })(attempt('local'));
    m?.push(Buffer.from(FINAL));
    m?.end(200);
    expect(recorded[0]?.sample.source).toBe('bench');
  });

  it('times a /predict per task', async () => {
    const clock = new FakeClock();
    const recorded: { subject: { kind: string; name: string }; sample: SpeedSample }[] = [];
    const meter = createSpeedMeter({ clock, record: (subject, sample) => recorded.push({ subject, sample }) });
    const body = Buffer.from('--B\r\nContent-Disposition: form-data; name="entries"\r\n\r\n{"clip":{"visual":{"modelName":"ViT-B-32"}}}\r\n--B--\r\n');
    const m = meter({ kind: 'immich-ml', path: '/predict', headers: { 'content-type': 'multipart/form-data; boundary=B' }, body })(attempt('local'));
    await clock.advance(42);
    m?.end(200);
    expect(recorded.map((r) => [r.subject, r.sample.latencyMs])).toEqual([[{ kind: 'task', name: 'clip-visual' }, 42]]);
  });
});
