/**
 * Check 2: is this machine's Ollama kept off the LAN? Peers reach it through this agent, which
 * forwards their signed requests to it on loopback (issue 10), so Ollama's safe default — bound to
 * 127.0.0.1:11434 (PROTOCOLS.md §1.1) — is the good case. Ollama answering on the LAN address means
 * anyone on the network can use it, and pull, create or delete models, with no password; that is
 * right only when the owner chose it (`services.ollama.direct`). The id stays `ollama-reachable`
 * for scripts that read `--json`.
 */
import { lanIpv4Addresses, isLoopbackHost } from '../addresses.js';
import { httpGet } from '../http.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const base = { id: 'ollama-reachable', title: 'Ollama reachable only through the agent' } as const;
/** The LAN address is this machine's own, so an answer is immediate; a wait means a filter drops it. */
const CONNECT_TIMEOUT_MS = 1500;

export const OLLAMA_LOOPBACK_FIX =
  'bind Ollama to 127.0.0.1 again (remove OLLAMA_HOST=0.0.0.0 from the Ollama service: systemctl edit ollama / the Windows environment variable, then restart Ollama); peers reach it through this agent. If you expose it on purpose, set services.ollama.direct to true';

export const OLLAMA_HOST_FIX =
  'set OLLAMA_HOST=0.0.0.0 for the Ollama service (systemctl edit ollama / the Windows environment variable) and restart Ollama, or set services.ollama.direct to false so peers go through this agent';

export const checkOllamaReachable: DoctorCheck = async (config, deps) => {
  const { enabled, url, direct } = config.services.ollama;
  if (!enabled) return { ...base, status: 'skipped', detail: 'services.ollama.enabled is false' };
  const parsed = new URL(url);
  try {
    await httpGet(deps, `${url.replace(/\/+$/, '')}/`);
  } catch {
    return { ...base, status: 'skipped', detail: `Ollama does not answer at ${url} (not running?)` };
  }
  if (!isLoopbackHost(parsed.hostname)) {
    if (direct) return { ...base, status: 'ok', detail: `Ollama answers at ${url}, exposed on purpose (services.ollama.direct)` };
    return { ...base, status: 'warn', detail: `Ollama answers at ${url}, a LAN address, without a password`, fix: OLLAMA_LOOPBACK_FIX };
  }

  const lan = lanIpv4Addresses(deps.networkInterfaces())[0];
  if (!lan) return { ...base, status: 'ok', detail: 'Ollama answers on 127.0.0.1 and this machine has no LAN IPv4 address' };
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const result = await deps.connectProbe(lan.address, port, CONNECT_TIMEOUT_MS);
  return describe(result, lan.address, port, direct, deps.env.OLLAMA_HOST);
};

function describe(result: 'open' | 'refused' | 'timeout', address: string, port: number, direct: boolean, shellOllamaHost: string | undefined): CheckResult {
  if (result === 'open') {
    if (direct) return { ...base, status: 'ok', detail: `Ollama answers on the LAN address ${address}:${port}, exposed on purpose (services.ollama.direct)` };
    return {
      ...base,
      status: 'warn',
      detail: `Ollama answers on the LAN address ${address}:${port}: anyone on the network can use it, and pull or delete models, with no password`,
      fix: OLLAMA_LOOPBACK_FIX,
    };
  }
  if (direct) {
    // OLLAMA_HOST in the doctor's shell only steers clients; the server reads its own environment.
    const shellNote = shellOllamaHost ? ` (OLLAMA_HOST is set in this shell, but the Ollama service does not see it)` : '';
    const why = result === 'refused' ? 'Ollama listens on 127.0.0.1 only' : `no answer on ${address}:${port} within ${CONNECT_TIMEOUT_MS} ms (a firewall?)`;
    return { ...base, status: 'problem', detail: `services.ollama.direct is true, but ${why}: peers cannot call it directly${shellNote}`, fix: OLLAMA_HOST_FIX };
  }
  return { ...base, status: 'ok', detail: `Ollama listens on 127.0.0.1 only (the safe default); peers reach it through this agent` };
}
