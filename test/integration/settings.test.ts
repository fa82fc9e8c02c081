/**
 * The setup page's API over real sockets: saved settings take effect without a restart and survive
 * one; Test connection answers in plain words (fake Ollama per PROTOCOLS.md §1; a real agent).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Placement } from '../../scheduler/placement-view.js';
import { createFakeOllama } from '../fakes/fake-ollama.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually, freePort } from '../helpers/cli.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const api = async (a: TestAgent, method: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`${a.url}/api/v1${path}`, { method, headers: await a.admin(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe('settings and test connection', () => {
  it('a new Ollama URL, offer and policy take effect at once and survive a restart', async () => {
    const ollama = createFakeOllama({ models: [{ name: 'llama3.2:3b' }] });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const first = await startTestAgent({ config: { node: { name: 'pc' }, probes: { servicesIntervalSec: 60 }, services: { ollama: { url: 'http://127.0.0.1:9' }, 'immich-ml': { enabled: false } }, discovery: { mdns: { enabled: false } } } });
    const saved = await api(first, 'PUT', '/settings', {
      services: { ollama: { url: ollama.url } },
      offer: { timeZone: 'Europe/London', windows: [{ days: ['mon'], from: '03:00', to: '03:01' }] },
      placement: { ollama: { prefer: ['pc'] } },
    });
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as { services: { ollama: { url: string } } }).services.ollama.url).toBe(ollama.url);
    // The probe runs at once (not at its 60 s interval) and finds the new Ollama; the offer is in the advert.
    const reason = async (a: TestAgent) => ((await (await fetch(`${a.url}/api/v1/placement`)).json()) as Placement).kinds.ollama.candidates[0]?.reason ?? '';
    await eventually(async () => ((await reason(first)).startsWith('outside window mon 03:00–03:01') ? true : undefined));

    await first.agent.stop();
    const again = await startTestAgent({ dataDir: first.dataDir, config: { node: { name: 'pc' }, services: { ollama: { url: 'http://127.0.0.1:9' }, 'immich-ml': { enabled: false } }, discovery: { mdns: { enabled: false } } } });
    cleanups.push(async () => {
      await again.agent.stop();
      await first.stop();
    });
    const view = (await (await fetch(`${again.url}/api/v1/settings`)).json()) as { services: { ollama: { url: string } }; placement: { ollama: { prefer: string[] } } };
    expect(view.services.ollama.url).toBe(ollama.url);
    expect(view.placement.ollama.prefer).toEqual(['pc']);
    await eventually(async () => ((await reason(again)).startsWith('outside window mon 03:00–03:01') ? true : undefined));
  });

  it('only keys changed on the Setup page override the file; the others follow the file after an edit; the log names them; reset drops them (issue 12)', async () => {
    const file = (coolDownSec: number) => ({ node: { name: 'pc' }, offer: { coolDownSec }, services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } }, discovery: { mdns: { enabled: false } } });
    const first = await startTestAgent({ config: file(120) });
    const before = (await (await fetch(`${first.url}/api/v1/settings`)).json()) as { offer: Record<string, unknown>; overridden: string[] };
    expect(before.overridden).toEqual([]);
    // The Setup page sends the whole offer as loaded, with one field edited.
    expect((await api(first, 'PUT', '/settings', { offer: { ...before.offer, vramReserveMb: 2048 } })).status).toBe(200);
    await first.agent.stop();

    // The file is edited: coolDownSec 120 → 30. It was not changed on the Setup page, so the file decides.
    const again = await startTestAgent({ dataDir: first.dataDir, config: file(30) });
    cleanups.push(async () => {
      await again.agent.stop();
      await first.stop();
    });
    const view = async () => (await (await fetch(`${again.url}/api/v1/settings`)).json()) as { offer: { coolDownSec: number; vramReserveMb: number }; overridden: string[] };
    expect(await view()).toMatchObject({ offer: { coolDownSec: 30, vramReserveMb: 2048 }, overridden: ['offer.vramReserveMb'] });
    expect(again.deps.lines.some((l) => l.includes('override the config file') && l.includes('offer.vramReserveMb'))).toBe(true);

    const reset = await api(again, 'POST', '/settings/reset', { keys: ['offer'] });
    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { dropped: string[] }).dropped).toEqual(['offer.vramReserveMb']);
    expect(await view()).toMatchObject({ offer: { coolDownSec: 30, vramReserveMb: 0 }, overridden: [] });
    // In the advert at once: peers see the file's offer again.
    expect(((await (await fetch(`${again.url}/api/v1/node`)).json()) as { offer: { vramReserveMb: number } }).offer.vramReserveMb).toBe(0);
    expect((await api(again, 'POST', '/settings/reset', { keys: ['colour'] })).status).toBe(400);
  });

  it('a bad settings body is a 400 that lists every problem, and changes nothing', async () => {
    const a = await startTestAgent({ config: { discovery: { mdns: { enabled: false } } } });
    cleanups.push(() => a.stop());
    const res = await api(a, 'PUT', '/settings', { services: { ollama: { url: 'ftp://x' } }, offer: { coolDownSec: -5 } });
    expect(res.status).toBe(400);
    const details = ((await res.json()) as { error: { details: string[] } }).error.details;
    expect(details).toEqual(expect.arrayContaining(['services.ollama.url: must be an http:// or https:// URL', expect.stringMatching(/^offer\.coolDownSec: /)]));
    const view = (await (await fetch(`${a.url}/api/v1/settings`)).json()) as { offer: { coolDownSec: number } };
    expect(view.offer.coolDownSec).toBe(300);
    expect((await fetch(`${a.url}/api/v1/settings`, { method: 'PUT', body: '{}' })).status).toBe(401);
  });

  it('Test connection: an Ollama with its version and models, an agent with its name, a dead URL with the reason', async () => {
    const ollama = createFakeOllama({ models: [{ name: 'qwen2.5:7b' }] });
    await ollama.start();
    cleanups.push(() => ollama.stop());
    const a = await startTestAgent({ config: { node: { name: 'hub' }, discovery: { mdns: { enabled: false } } } });
    cleanups.push(() => a.stop());
    const test = async (body: unknown) => (await (await api(a, 'POST', '/setup/test-connection', body)).json()) as Record<string, unknown>;
    expect(await test({ kind: 'ollama', url: ollama.url })).toEqual({ ok: true, version: '0.33.0', models: ['qwen2.5:7b'] });
    expect(await test({ kind: 'agent', url: a.url })).toMatchObject({ ok: true, name: 'hub', gpu: null });
    const port = await freePort();
    expect(await test({ kind: 'ollama', url: `http://127.0.0.1:${port}` })).toEqual({ ok: false, reason: `connection refused at http://127.0.0.1:${port}` });
    expect(String((await test({ kind: 'immich-ml', url: ollama.url })).reason)).toMatch(/HTTP 404|not Immich ML/);
  });
});
