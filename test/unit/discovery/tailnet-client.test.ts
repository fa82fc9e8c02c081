import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalApiReader,
  MACOS_APP_CLI,
  readLocalApiStatus,
  readTailscaleStatus,
  TailscaleLocalApiError,
  TailscaleUnavailableError,
} from '../../../discovery/tailscale-client.js';
import { parseTailscaleStatus, TailscaleStatusMalformedError } from '../../../discovery/tailscale-status.js';
import {
  createFakeTailscaled,
  createFakeTailscaleExec,
  fakeTailscaleStatus,
  tailscaledNotRunning,
  type FakeTailscaled,
} from '../../fakes/fake-tailscale.js';

const signal = () => new AbortController().signal;

describe('readTailscaleStatus via the CLI', () => {
  it('runs `tailscale status --json` and returns the parsed JSON', async () => {
    const status = fakeTailscaleStatus();
    const exec = createFakeTailscaleExec(() => status);
    const raw = await readTailscaleStatus({ exec, platform: 'linux' }, signal());
    expect(raw).toEqual(status);
    expect(exec.calls.map((c) => [c.file, ...c.args])).toEqual([['tailscale', 'status', '--json']]);
  });

  it('uses tailscale.exe on Windows', async () => {
    const exec = createFakeTailscaleExec(() => fakeTailscaleStatus());
    await readTailscaleStatus({ exec, platform: 'win32' }, signal());
    expect(exec.calls[0]?.file).toBe('tailscale.exe');
  });

  it('on macOS falls back to the app bundle binary when tailscale is not on PATH', async () => {
    const exec = createFakeTailscaleExec(() => fakeTailscaleStatus(), { installedAt: [MACOS_APP_CLI] });
    const raw = await readTailscaleStatus({ exec, platform: 'darwin' }, signal());
    expect(parseTailscaleStatus(raw).BackendState).toBe('Running');
    expect(exec.calls.map((c) => c.file)).toEqual(['tailscale', MACOS_APP_CLI]);
  });

  it('a missing binary is TailscaleUnavailableError (code tailscale_unavailable), on every platform', async () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const exec = createFakeTailscaleExec(() => 'missing');
      const err: unknown = await readTailscaleStatus({ exec, platform }, signal()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TailscaleUnavailableError);
      expect(err).toMatchObject({ code: 'tailscale_unavailable' });
    }
  });

  it('a daemon that is not running is an ordinary failure, not "unavailable"', async () => {
    const exec = createFakeTailscaleExec(() => tailscaledNotRunning());
    await expect(readTailscaleStatus({ exec, platform: 'linux' }, signal())).rejects.toThrow(/doesn't appear to be running/);
  });

  it('output that is not JSON is TailscaleStatusMalformedError', async () => {
    const exec = Object.assign(async () => ({ stdout: 'Logged out.\n', stderr: '' }), { calls: [] });
    await expect(readTailscaleStatus({ exec, platform: 'linux' }, signal())).rejects.toBeInstanceOf(TailscaleStatusMalformedError);
  });
});

describe('LocalAPI reader against a fake tailscaled on a unix socket', () => {
  let dir = '';
  let socketPath = '';
  let daemon: FakeTailscaled | null = null;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ts-'));
    socketPath = join(dir, 'tailscaled.sock');
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = null;
    await rm(dir, { recursive: true, force: true });
  });
  const startDaemon = async (status: object = fakeTailscaleStatus()) => {
    daemon = createFakeTailscaled(socketPath, status);
    await daemon.start();
    return daemon;
  };

  it('reads the status with Host: local-tailscaled.sock', async () => {
    const status = fakeTailscaleStatus();
    const d = await startDaemon(status);
    expect(await createLocalApiReader(socketPath)(signal())).toEqual(status);
    expect(d.requests).toEqual([{ method: 'GET', url: '/localapi/v0/status', host: 'local-tailscaled.sock', status: 200 }]);
  });

  it('the fake answers like tailscaled: tab-indented JSON with a final newline, 403 for Origin', async () => {
    await startDaemon();
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const req = request({ socketPath, path: '/localapi/v0/status', headers, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
        });
        req.on('error', reject).end();
      });
    const ok = await get({ Host: 'local-tailscaled.sock' });
    expect(ok).toMatchObject({ status: 200, type: 'application/json' });
    expect(ok.body.startsWith('{\n\t"Version": ')).toBe(true);
    expect(ok.body.endsWith('}\n')).toBe(true);
    expect(await get({ Host: 'local-tailscaled.sock', Origin: 'http://evil.example' })).toMatchObject({
      status: 403,
      body: 'invalid localapi request\n',
    });
  });

  it('a wrong Host gets 403 `invalid localapi request`, surfaced as a typed error', async () => {
    await startDaemon();
    const err: unknown = await readLocalApiStatus(socketPath, signal(), 'localhost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TailscaleLocalApiError);
    expect(err).toMatchObject({ code: 'localapi_http', status: 403, message: 'tailscaled LocalAPI: HTTP 403: invalid localapi request' });
  });

  it('a missing socket rejects with code ENOENT', async () => {
    const err: unknown = await createLocalApiReader(socketPath)(signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TailscaleLocalApiError);
    expect(err).toMatchObject({ code: 'ENOENT' });
  });

  it('honours the abort signal', async () => {
    await startDaemon();
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(createLocalApiReader(socketPath)(controller.signal)).rejects.toThrow('gave up');
  });

  it('an abort during a request that never gets an answer rejects with the reason and closes the connection', async () => {
    const conns: Socket[] = [];
    const silent = createServer((c) => conns.push(c)); // accepts, never answers: a wedged daemon
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      const controller = new AbortController();
      const pending = createLocalApiReader(socketPath)(controller.signal);
      await new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      controller.abort(new Error('no answer within 5000 ms'));
      await expect(pending).rejects.toThrow('no answer within 5000 ms');
      await new Promise<void>((resolve) => (conns[0]?.closed ? resolve() : conns[0]?.once('close', () => resolve())));
      expect(conns.every((c) => c.destroyed)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('readTailscaleStatus on Linux prefers the socket and does not run the CLI', async () => {
    await startDaemon();
    const exec = createFakeTailscaleExec(() => fakeTailscaleStatus({ backendState: 'Stopped' }));
    const raw = await readTailscaleStatus({ exec, platform: 'linux', localApi: createLocalApiReader(socketPath) }, signal());
    expect(parseTailscaleStatus(raw).BackendState).toBe('Running');
    expect(exec.calls).toHaveLength(0);
  });

  it('a missing socket falls back to the CLI', async () => {
    const exec = createFakeTailscaleExec(() => fakeTailscaleStatus({ backendState: 'NeedsLogin' }));
    const raw = await readTailscaleStatus({ exec, platform: 'linux', localApi: createLocalApiReader(socketPath) }, signal());
    expect(parseTailscaleStatus(raw).BackendState).toBe('NeedsLogin');
    expect(exec.calls).toHaveLength(1);
  });

  it('missing socket AND missing binary → TailscaleUnavailableError', async () => {
    const exec = createFakeTailscaleExec(() => 'missing');
    await expect(
      readTailscaleStatus({ exec, platform: 'linux', localApi: createLocalApiReader(socketPath) }, signal()),
    ).rejects.toBeInstanceOf(TailscaleUnavailableError);
  });

  it('a socket that refuses, with no CLI, reports the refusal rather than "unavailable"', async () => {
    const d = await startDaemon();
    d.denyRead(true);
    const exec = createFakeTailscaleExec(() => 'missing');
    await expect(
      readTailscaleStatus({ exec, platform: 'linux', localApi: createLocalApiReader(socketPath) }, signal()),
    ).rejects.toMatchObject({ code: 'localapi_http', status: 403, message: 'tailscaled LocalAPI: HTTP 403: status access denied' });
  });

  it('the socket is only used on Linux', async () => {
    await startDaemon();
    const exec = createFakeTailscaleExec(() => fakeTailscaleStatus());
    await readTailscaleStatus({ exec, platform: 'darwin', localApi: createLocalApiReader(socketPath) }, signal());
    expect(daemon?.requests).toHaveLength(0);
    expect(exec.calls).toHaveLength(1);
  });
});
