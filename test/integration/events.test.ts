/**
 * The live event stream (GET /api/v1/events) over a real socket: the current state on connect,
 * then changes as they happen; an agent with a client connected still stops promptly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeOllama } from '../fakes/fake-ollama.js';
import { startTestAgent } from '../helpers/agent.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** Reads SSE events from a fetch body until `until` returns true (bounded). */
async function readEvents(body: ReadableStream<Uint8Array>, until: (events: { event: string; data: unknown }[]) => boolean, timeoutMs = 10_000) {
  const reader = body.getReader();
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`events so far: ${events.map((e) => e.event).join(', ')}`);
    const { done, value } = await reader.read();
    if (done) break;
    buffer += new TextDecoder().decode(value);
    let sep: number;
    while ((sep = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
    }
  }
  return { events, reader };
}

describe('GET /api/v1/events', () => {
  it('sends the current nodes and placement, then each change as it happens', async () => {
    const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }] });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const a = await startTestAgent({ config: { node: { name: 'solo' }, services: { ollama: { url: ollama.url }, 'immich-ml': { enabled: false } }, discovery: { mdns: { enabled: false } } } });
    cleanups.push(() => a.stop());

    const res = await fetch(`${a.url}/api/v1/events`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = res.body as ReadableStream<Uint8Array>;
    const first = await readEvents(body, (e) => e.some((x) => x.event === 'nodes') && e.some((x) => x.event === 'placement'));
    const nodes = first.events.find((e) => e.event === 'nodes')?.data as { name: string }[];
    expect(nodes.map((n) => n.name)).toEqual(['solo']);
    first.reader.releaseLock();

    await fetch(`${a.url}/api/v1/overrides/offer`, { method: 'PUT', headers: await a.admin(), body: JSON.stringify({ mode: 'out' }) });
    const next = await readEvents(body, (e) =>
      e.some((x) => x.event === 'placement' && (x.data as { kinds: { ollama: { candidates: { reason: string }[] } } }).kinds.ollama.candidates[0]?.reason === 'taken out manually'),
    );
    expect(next.events.some((e) => e.event === 'node')).toBe(true);
    expect(next.events.some((e) => e.event === 'history')).toBe(true);
    next.reader.releaseLock();
    await body.cancel();
  });

  it('an open event stream does not hold up the agent\'s stop', async () => {
    const a = await startTestAgent({ config: { discovery: { mdns: { enabled: false } } } });
    const res = await fetch(`${a.url}/api/v1/events`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await a.stop();
    // The stream ends (closed by the server) instead of hanging.
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true }));
      if (r.done) break;
    }
  });
});
