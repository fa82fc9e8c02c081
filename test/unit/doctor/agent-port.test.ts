import { describe, expect, it } from 'vitest';
import { checkAgentPort } from '../../../agent/doctor/checks/agent-port.js';
import { config, fakeDeps, fakeFetch, json } from './fake-deps.js';

describe('checkAgentPort', () => {
  it('ok when the port is free, probing the configured bind address', async () => {
    const probed: [number, string][] = [];
    const deps = fakeDeps({ netListenProbe: (port, host) => (probed.push([port, host]), Promise.resolve('free')) });
    const r = await checkAgentPort(config(), deps);
    expect(r).toMatchObject({ status: 'ok', detail: 'port 7650 is free' });
    expect(probed).toEqual([[7650, '0.0.0.0']]);
  });

  it('ok when the port is taken by an inference-mesh agent (health on loopback)', async () => {
    const f = fakeFetch({ 'http://127.0.0.1:7650/api/v1/health': json({ status: 'ok' }) });
    const r = await checkAgentPort(config(), fakeDeps({ fetch: f.fetch, netListenProbe: () => Promise.resolve('in-use') }));
    expect(r).toMatchObject({ status: 'ok', detail: 'an inference-mesh agent already runs on port 7650' });
    expect(f.calls.map((c) => c.url)).toEqual(['http://127.0.0.1:7650/api/v1/health']);
  });

  it.each([
    { name: 'nothing HTTP answers', routes: {} },
    { name: 'another HTTP server', routes: { 'http://127.0.0.1:7650/api/v1/health': () => new Response('404 page not found', { status: 404 }) } },
    { name: 'a JSON answer that is not ours', routes: { 'http://127.0.0.1:7650/api/v1/health': json({ healthy: true }) } },
  ])('problem when another program holds the port: $name', async ({ routes }) => {
    const r = await checkAgentPort(config(), fakeDeps({ fetch: fakeFetch(routes).fetch, netListenProbe: () => Promise.resolve('in-use') }));
    expect(r).toEqual({
      id: 'agent-port',
      title: 'Agent port',
      status: 'problem',
      detail: 'another program uses port 7650',
      fix: 'stop that program, or run the agent on another port: --port 7651 (or api.port in the config file)',
    });
  });

  it('problem with a privileged port that may not be bound', async () => {
    const r = await checkAgentPort(config({ api: { port: 80 } }), fakeDeps({ netListenProbe: () => Promise.resolve('denied') }));
    expect(r).toMatchObject({ status: 'problem', fix: 'choose a port above 1023 with --port (or api.port in the config file)' });
  });

  it('skipped for port 0 (any free port)', async () => {
    const r = await checkAgentPort(config({ api: { port: 0 } }), fakeDeps());
    expect(r.status).toBe('skipped');
  });
});
