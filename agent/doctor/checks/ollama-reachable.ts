/**
 * Check 2: can peers reach this machine's Ollama? Ollama binds 127.0.0.1:11434 by default and only
 * `OLLAMA_HOST` on the *server* changes that (PROTOCOLS.md §1.1). When the agent's Ollama URL is
 * loopback and Ollama answers there, we try the same port on this machine's LAN address: a refusal
 * means Ollama listens on loopback only, and peers routing to this node would fail.
 */
import { lanIpv4Addresses, isLoopbackHost } from '../addresses.js';
import { httpGet } from '../http.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const base = { id: 'ollama-reachable', title: 'Ollama reachable from peers' } as const;
/** The LAN address is this machine's own, so an answer is immediate; a wait means a filter drops it. */
const CONNECT_TIMEOUT_MS = 1500;

export const OLLAMA_HOST_FIX =
  'set OLLAMA_HOST=0.0.0.0 for the Ollama service (systemctl edit ollama / the Windows environment variable) and restart Ollama';

export const checkOllamaReachable: DoctorCheck = async (config, deps) => {
  const { enabled, url } = config.services.ollama;
  if (!enabled) return { ...base, status: 'skipped', detail: 'services.ollama.enabled is false' };
  const parsed = new URL(url);
  try {
    await httpGet(deps, `${url.replace(/\/+$/, '')}/`);
  } catch {
    return { ...base, status: 'skipped', detail: `Ollama does not answer at ${url} (not running?)` };
  }
  if (!isLoopbackHost(parsed.hostname)) return { ...base, status: 'ok', detail: `Ollama answers at ${url}, a non-loopback address` };

  const lan = lanIpv4Addresses(deps.networkInterfaces())[0];
  if (!lan) return { ...base, status: 'skipped', detail: 'this machine has no LAN IPv4 address to test from' };
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const result = await deps.connectProbe(lan.address, port, CONNECT_TIMEOUT_MS);
  return describe(result, lan.address, port, deps.env.OLLAMA_HOST);
};

function describe(result: 'open' | 'refused' | 'timeout', address: string, port: number, shellOllamaHost: string | undefined): CheckResult {
  if (result === 'open') return { ...base, status: 'ok', detail: `Ollama answers on the LAN address ${address}:${port}` };
  if (result === 'refused') {
    // OLLAMA_HOST in the doctor's shell only steers clients; the server reads its own environment.
    const shellNote = shellOllamaHost ? ` (OLLAMA_HOST is set in this shell, but the Ollama service does not see it)` : '';
    return {
      ...base,
      status: 'problem',
      detail: `Ollama listens on 127.0.0.1 only; peers cannot reach it${shellNote}`,
      fix: OLLAMA_HOST_FIX,
    };
  }
  return {
    ...base,
    status: 'warn',
    detail: `no answer on ${address}:${port} within ${CONNECT_TIMEOUT_MS} ms: a firewall probably drops connections to Ollama`,
    fix: `allow inbound TCP port ${port} from the LAN in this machine's firewall`,
  };
}
