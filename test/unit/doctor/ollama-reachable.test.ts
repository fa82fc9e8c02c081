import { describe, expect, it } from 'vitest';
import { checkOllamaReachable, OLLAMA_HOST_FIX, OLLAMA_LOOPBACK_FIX } from '../../../agent/doctor/checks/ollama-reachable.js';
import type { ConnectProbeResult } from '../../../agent/doctor/types.js';
import { config, fakeDeps, fakeFetch, iface } from './fake-deps.js';

const ollamaUp = fakeFetch({ 'http://127.0.0.1:11434/': () => new Response('Ollama is running') }).fetch;

function probe(result: ConnectProbeResult) {
  const calls: [string, number][] = [];
  return { calls, connectProbe: (host: string, port: number) => (calls.push([host, port]), Promise.resolve(result)) };
}

describe('checkOllamaReachable: Ollama kept off the LAN (issue 10 §7)', () => {
  it('ok when Ollama answers on loopback and the LAN address refuses: the safe default, peers go through the agent', async () => {
    const p = probe('refused');
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: p.connectProbe }));
    expect(r).toEqual({
      id: 'ollama-reachable',
      title: 'Ollama reachable only through the agent',
      status: 'ok',
      detail: 'Ollama listens on 127.0.0.1 only (the safe default); peers reach it through this agent',
    });
    expect(p.calls).toEqual([['192.168.1.20', 11434]]);
  });

  it('warns when Ollama also answers on the LAN address, without a password; private addresses are preferred', async () => {
    const p = probe('open');
    const interfaces = () => ({ tailscale0: [iface('100.101.102.103')], wan0: [iface('203.0.113.7')], eth0: [iface('192.168.1.20')] });
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: p.connectProbe, networkInterfaces: interfaces }));
    expect(r).toMatchObject({ status: 'warn', detail: expect.stringContaining('Ollama answers on the LAN address 192.168.1.20:11434') as unknown, fix: OLLAMA_LOOPBACK_FIX });
    expect(p.calls).toEqual([['192.168.1.20', 11434]]);
  });

  it('ok when exposed on purpose (services.ollama.direct); a problem when direct is set but Ollama is on loopback only', async () => {
    const direct = config({ services: { ollama: { direct: true } } });
    expect(await checkOllamaReachable(direct, fakeDeps({ fetch: ollamaUp, connectProbe: probe('open').connectProbe }))).toMatchObject({ status: 'ok' });
    const r = await checkOllamaReachable(direct, fakeDeps({ fetch: ollamaUp, connectProbe: probe('refused').connectProbe, env: { OLLAMA_HOST: '0.0.0.0' } }));
    expect(r).toMatchObject({ status: 'problem', fix: OLLAMA_HOST_FIX });
    expect(r.detail).toContain('OLLAMA_HOST is set in this shell, but the Ollama service does not see it');
  });

  it('ok when a firewall drops LAN connections to Ollama (peers do not need them)', async () => {
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: probe('timeout').connectProbe }));
    expect(r.status).toBe('ok');
  });

  it('skipped when Ollama is not running or disabled; ok when there is no LAN address at all', async () => {
    expect(await checkOllamaReachable(config(), fakeDeps())).toMatchObject({ status: 'skipped', detail: 'Ollama does not answer at http://127.0.0.1:11434 (not running?)' });
    expect((await checkOllamaReachable(config({ services: { ollama: { enabled: false } } }), fakeDeps())).status).toBe('skipped');
    const noLan = fakeDeps({ fetch: ollamaUp, networkInterfaces: () => ({ lo: [iface('127.0.0.1', true)] }) });
    expect((await checkOllamaReachable(config(), noLan)).status).toBe('ok');
  });

  it('warns when the agent is configured to reach Ollama on a LAN address, unless exposed on purpose', async () => {
    const f = fakeFetch({ 'http://192.168.1.30:11434/': () => new Response('Ollama is running') });
    const lan = config({ services: { ollama: { url: 'http://192.168.1.30:11434' } } });
    expect(await checkOllamaReachable(lan, fakeDeps({ fetch: f.fetch }))).toMatchObject({ status: 'warn', fix: OLLAMA_LOOPBACK_FIX });
    const chosen = config({ services: { ollama: { url: 'http://192.168.1.30:11434', direct: true } } });
    expect((await checkOllamaReachable(chosen, fakeDeps({ fetch: f.fetch }))).status).toBe('ok');
  });
});
