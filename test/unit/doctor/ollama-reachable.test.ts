import { describe, expect, it } from 'vitest';
import { checkOllamaReachable, OLLAMA_HOST_FIX } from '../../../agent/doctor/checks/ollama-reachable.js';
import type { ConnectProbeResult } from '../../../agent/doctor/types.js';
import { config, fakeDeps, fakeFetch, iface } from './fake-deps.js';

const ollamaUp = fakeFetch({ 'http://127.0.0.1:11434/': () => new Response('Ollama is running') }).fetch;

function probe(result: ConnectProbeResult) {
  const calls: [string, number][] = [];
  return { calls, connectProbe: (host: string, port: number) => (calls.push([host, port]), Promise.resolve(result)) };
}

describe('checkOllamaReachable', () => {
  it('problem when Ollama answers on loopback but the LAN address refuses', async () => {
    const p = probe('refused');
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: p.connectProbe }));
    expect(r).toEqual({
      id: 'ollama-reachable',
      title: 'Ollama reachable from peers',
      status: 'problem',
      detail: 'Ollama listens on 127.0.0.1 only; peers cannot reach it',
      fix: 'set OLLAMA_HOST=0.0.0.0 for the Ollama service (systemctl edit ollama / the Windows environment variable) and restart Ollama',
    });
    expect(r.fix).toBe(OLLAMA_HOST_FIX);
    expect(p.calls).toEqual([['192.168.1.20', 11434]]);
  });

  it('says when OLLAMA_HOST is set only in the shell', async () => {
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: probe('refused').connectProbe, env: { OLLAMA_HOST: '0.0.0.0' } }));
    expect(r.detail).toContain('OLLAMA_HOST is set in this shell, but the Ollama service does not see it');
  });

  it('ok when Ollama also answers on the LAN address; private addresses are preferred', async () => {
    const p = probe('open');
    const interfaces = () => ({ tailscale0: [iface('100.101.102.103')], wan0: [iface('203.0.113.7')], eth0: [iface('192.168.1.20')] });
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: p.connectProbe, networkInterfaces: interfaces }));
    expect(r).toMatchObject({ status: 'ok', detail: 'Ollama answers on the LAN address 192.168.1.20:11434' });
    expect(p.calls).toEqual([['192.168.1.20', 11434]]);
  });

  it('warn when the LAN connection times out (a firewall drops it)', async () => {
    const r = await checkOllamaReachable(config(), fakeDeps({ fetch: ollamaUp, connectProbe: probe('timeout').connectProbe }));
    expect(r).toMatchObject({ status: 'warn', fix: 'allow inbound TCP port 11434 from the LAN in this machine\'s firewall' });
  });

  it('skipped when Ollama is not running', async () => {
    const r = await checkOllamaReachable(config(), fakeDeps());
    expect(r).toMatchObject({ status: 'skipped', detail: 'Ollama does not answer at http://127.0.0.1:11434 (not running?)' });
  });

  it('skipped when Ollama is disabled, or there is no LAN address', async () => {
    expect((await checkOllamaReachable(config({ services: { ollama: { enabled: false } } }), fakeDeps())).status).toBe('skipped');
    const noLan = fakeDeps({ fetch: ollamaUp, networkInterfaces: () => ({ lo: [iface('127.0.0.1', true)] }) });
    expect(await checkOllamaReachable(config(), noLan)).toMatchObject({ status: 'skipped', detail: 'this machine has no LAN IPv4 address to test from' });
  });

  it('ok without a connect probe when Ollama is configured on a non-loopback address', async () => {
    const f = fakeFetch({ 'http://192.168.1.30:11434/': () => new Response('Ollama is running') });
    const r = await checkOllamaReachable(config({ services: { ollama: { url: 'http://192.168.1.30:11434' } } }), fakeDeps({ fetch: f.fetch }));
    expect(r.status).toBe('ok');
  });
});
