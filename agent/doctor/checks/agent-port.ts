/**
 * Check 1: can the agent listen on its port? A taken port is fine when the taker is our own agent
 * (`GET /api/v1/health` answers `{"status":"ok"}`, api/routes/health.ts), a problem otherwise.
 */
import { httpGet, localAgentUrl } from '../http.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const ID = 'agent-port';
const TITLE = 'Agent port';

export const checkAgentPort: DoctorCheck = async (config, deps) => {
  const { port, host } = config.api;
  const base = { id: ID, title: TITLE };
  if (port === 0) return { ...base, status: 'skipped', detail: 'api.port is 0: the agent takes any free port' };
  const probe = await deps.netListenProbe(port, host);
  if (probe === 'free') return { ...base, status: 'ok', detail: `port ${port} is free` };
  if (probe === 'denied') {
    return {
      ...base,
      status: 'problem',
      detail: `not allowed to listen on ${host}:${port}`,
      // Ports below 1024 need root (or CAP_NET_BIND_SERVICE) on Linux and macOS.
      fix: port < 1024 ? 'choose a port above 1023 with --port (or api.port in the config file)' : 'choose another port with --port (or api.port in the config file)',
    };
  }
  return (await isAgent(localAgentUrl(host, port), deps)) ? agentRuns(port) : otherProgram(port);
};

async function isAgent(url: string, deps: Parameters<DoctorCheck>[1]): Promise<boolean> {
  try {
    const res = await httpGet(deps, `${url}/api/v1/health`);
    if (res.status !== 200) return false;
    const body = JSON.parse(res.text) as unknown;
    return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'ok';
  } catch {
    // Not HTTP, not JSON, or no answer on loopback: some other program holds the port.
    return false;
  }
}

function agentRuns(port: number): CheckResult {
  return { id: ID, title: TITLE, status: 'ok', detail: `an inference-mesh agent already runs on port ${port}` };
}

function otherProgram(port: number): CheckResult {
  return {
    id: ID,
    title: TITLE,
    status: 'problem',
    detail: `another program uses port ${port}`,
    fix: `stop that program, or run the agent on another port: --port ${port === 65535 ? port - 1 : port + 1} (or api.port in the config file)`,
  };
}
