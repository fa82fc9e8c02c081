import { describe, expect, it } from 'vitest';
import { checkClock } from '../../../agent/doctor/checks/clock.js';
import { ADMIN_KEY_FIX, checkImmichKey } from '../../../agent/doctor/checks/immich-key.js';
import { checkTailscale } from '../../../agent/doctor/checks/tailscale.js';
import { createFakeExec, ok } from '../../fakes/io.js';
import { config, fakeDeps, fakeFetch, files, json, NOW_MS } from './fake-deps.js';

const tsStatus = (state: string) => ok(JSON.stringify({ BackendState: state, Self: null, Peer: null, CurrentTailnet: state === 'Running' ? { Name: 'user@example.com' } : null }));

describe('checkTailscale', () => {
  it('warn when tailscale is missing', async () => {
    expect(await checkTailscale(config(), fakeDeps())).toMatchObject({ status: 'warn', detail: 'tailscale is not installed: tailnet discovery off' });
  });

  it('problem with `tailscale up` when logged out or stopped', async () => {
    const r = await checkTailscale(config(), fakeDeps({ exec: createFakeExec({ tailscale: tsStatus('NeedsLogin') }) }));
    expect(r).toEqual({ id: 'tailscale', title: 'Tailscale', status: 'problem', detail: 'tailscale is not running (NeedsLogin): tailnet discovery finds nobody', fix: 'run: sudo tailscale up' });
    const win = await checkTailscale(config(), fakeDeps({ platform: 'win32', exec: createFakeExec({ 'tailscale.exe': tsStatus('Stopped') }) }));
    expect(win).toMatchObject({ status: 'problem', fix: 'run: tailscale up' });
  });

  it('ok with the tailnet name when running (LocalAPI first on Linux)', async () => {
    const localApi = () => Promise.resolve({ BackendState: 'Running', Self: null, Peer: null, CurrentTailnet: { Name: 'user@example.com' } });
    const r = await checkTailscale(config(), fakeDeps({ tailscaleLocalApi: localApi }));
    expect(r).toMatchObject({ status: 'ok', detail: 'logged in to tailnet user@example.com' });
  });

  it('skipped when tailnet discovery is off', async () => {
    expect((await checkTailscale(config({ discovery: { tailnet: { enabled: false } } }), fakeDeps())).status).toBe('skipped');
  });
});

describe('checkImmichKey', () => {
  const immich = { immich: { serverUrl: 'http://immich.test:2283', apiKey: 'key-123' } };

  it('recommends the key when this node serves Immich ML and none is configured (issue 12); skipped without Immich ML', async () => {
    const r = await checkImmichKey(config(), fakeDeps());
    expect(r).toMatchObject({ status: 'warn', detail: 'no Immich API key: while no GPU node is offered, photo indexing runs on the CPU (the queues cannot be paused)' });
    expect(r.fix).toMatch(/^on the node Immich sends its ML requests to, so indexing waits for the GPU: set immich.serverUrl .* and immich.apiKeyFile with an admin API key/);
    expect((await checkImmichKey(config({ services: { 'immich-ml': { enabled: false } } }), fakeDeps())).status).toBe('skipped');
  });

  it('problem "key without admin rights" with the admin-key fix on 403', async () => {
    const f = fakeFetch({ 'http://immich.test:2283/api/queues': json({ message: 'Forbidden' }, 403) });
    const r = await checkImmichKey(config(immich), fakeDeps({ fetch: f.fetch }));
    expect(r).toEqual({ id: 'immich-key', title: 'Immich API key', status: 'problem', detail: 'key without admin rights (403) (Immich: "Forbidden")', fix: ADMIN_KEY_FIX });
    expect(ADMIN_KEY_FIX).toBe(
      'create an admin API key: log in to Immich as an admin, Account Settings → API Keys → New API Key (permission "all", or queue.read + queue.update), and put it in immich.apiKeyFile',
    );
    expect(f.calls[0]?.headers['x-api-key']).toBe('key-123');
  });

  it('problem "key rejected" on 401', async () => {
    const f = fakeFetch({ 'http://immich.test:2283/api/queues': json({ message: 'Invalid API key' }, 401) });
    expect(await checkImmichKey(config(immich), fakeDeps({ fetch: f.fetch }))).toMatchObject({
      status: 'problem',
      detail: 'key rejected (401) (Immich: "Invalid API key")',
      fix: 'create a new API key in Immich (Account Settings → API Keys) and update immich.apiKey / immich.apiKeyFile',
    });
  });

  it('ok on an older server through /api/jobs, with the key from apiKeyFile', async () => {
    const f = fakeFetch({
      'http://immich.test:2283/api/queues': () => new Response('{"message":"Cannot GET /api/queues"}', { status: 404 }),
      'http://immich.test:2283/api/jobs': json({ smartSearch: {} }),
    });
    const cfg = config({ immich: { serverUrl: 'http://immich.test:2283', apiKeyFile: '/etc/im/key' } });
    const r = await checkImmichKey(cfg, fakeDeps({ fetch: f.fetch, readFile: files({ '/etc/im/key': 'file-key\n' }) }));
    expect(r.status).toBe('ok');
    expect(f.calls.map((c) => [c.url, c.headers['x-api-key']])).toEqual([
      ['http://immich.test:2283/api/queues', 'file-key'],
      ['http://immich.test:2283/api/jobs', 'file-key'],
    ]);
  });

});

describe('checkClock', () => {
  const peer = { discovery: { peers: ['http://gpu-box.test:7650'] } };
  const dated = (offsetMs: number) => json({ status: 'ok' }, 200, { date: new Date(NOW_MS - offsetMs).toUTCString() });

  it('problem with the NTP fix when a peer is more than 30 s off (said from the peer\'s side)', async () => {
    const f = fakeFetch({ 'http://gpu-box.test:7650/api/v1/health': dated(120_000) });
    expect(await checkClock(config(peer), fakeDeps({ fetch: f.fetch }))).toEqual({
      id: 'clock',
      title: 'Clock',
      status: 'problem',
      detail: "peer http://gpu-box.test:7650: clock off by about -120 s (behind this machine): the agents refuse each other's requests, and windows would open at the wrong time",
      fix: 'enable NTP (timedatectl set-ntp true)',
    });
  });

  it.each([
    [9_000, 'ok'],
    [-12_000, 'warn'],
    [20_000, 'warn'],
    [29_000, 'warn'],
    [31_000, 'problem'],
  ])('a peer %s ms off → %s (warn from 10 s: the window is ±30 s)', async (offsetMs, status) => {
    const f = fakeFetch({ 'http://gpu-box.test:7650/api/v1/health': dated(-offsetMs) });
    expect((await checkClock(config(peer), fakeDeps({ fetch: f.fetch }))).status).toBe(status);
  });

  it('a peer the agent knows refuses it for its clock (down, clockOffsetMs): the recorded offset, "clock off by about +300 s"', async () => {
    const nodes = {
      nodes: [
        { state: 'up', sources: ['self'], activeUrl: 'http://127.0.0.1:7650' },
        { state: 'down', sources: ['mdns'], activeUrl: null, clockOffsetMs: 299_900, paths: [{ url: 'http://192.168.1.31:7650' }] },
      ],
    };
    // No Date header needed: the agent's record is used as it is.
    const f = fakeFetch({ 'http://127.0.0.1:7650/api/v1/nodes': json(nodes) });
    expect(await checkClock(config(), fakeDeps({ fetch: f.fetch }))).toMatchObject({
      status: 'problem',
      detail: "peer http://192.168.1.31:7650: clock off by about +300 s (ahead of this machine): the agents refuse each other's requests, and windows would open at the wrong time",
    });
  });

  it('ok within 10 s, using a peer the running agent knows', async () => {
    const nodes = {
      nodes: [
        { state: 'up', sources: ['self'], activeUrl: 'http://127.0.0.1:7650' },
        { state: 'up', sources: ['mdns'], activeUrl: 'http://192.168.1.31:7650' },
      ],
    };
    const f = fakeFetch({ 'http://127.0.0.1:7650/api/v1/nodes': json(nodes), 'http://192.168.1.31:7650/api/v1/health': dated(-5_000) });
    expect(await checkClock(config(), fakeDeps({ fetch: f.fetch }))).toMatchObject({ status: 'ok', detail: 'agrees with peer http://192.168.1.31:7650 within 5 s' });
  });

  it('falls back to the Immich server', async () => {
    const f = fakeFetch({ 'http://immich.test:2283/api/server/ping': () => new Response('{"res":"pong"}', { headers: { date: new Date(NOW_MS + 300_000).toUTCString() } }) });
    const r = await checkClock(config({ immich: { serverUrl: 'http://immich.test:2283', apiKey: 'k' } }), fakeDeps({ fetch: f.fetch }));
    expect(r).toMatchObject({ status: 'problem', detail: 'Immich http://immich.test:2283: clock off by about +300 s (ahead of this machine): windows would open at the wrong time' });
  });

  it('skipped without a reference, or when none answers', async () => {
    expect(await checkClock(config(), fakeDeps())).toMatchObject({ status: 'skipped', detail: 'no peer agent or Immich server to compare with' });
    expect((await checkClock(config(peer), fakeDeps())).status).toBe('skipped');
  });
});
