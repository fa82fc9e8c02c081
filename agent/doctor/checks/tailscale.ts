/**
 * Check 6: Tailscale, the discovery path that crosses routers and WSL2 NAT (PROTOCOLS.md §4).
 * Missing is only a warning (tailnet discovery is optional); installed but not `Running` (NeedsLogin,
 * Stopped, ...) is a problem because tailnet discovery is switched on yet finds nobody.
 */
import { readTailscaleStatus, TailscaleUnavailableError } from '../../../discovery/tailscale-client.js';
import { parseTailscaleStatus } from '../../../discovery/tailscale-status.js';
import { describeError } from '../../kernel/errors.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const base = { id: 'tailscale', title: 'Tailscale' } as const;
/** The CLI's own bound is 10 s (tailscale-client.ts); a doctor run should not wait that long. */
const STATUS_TIMEOUT_MS = 5000;

export const checkTailscale: DoctorCheck = async (config, deps) => {
  if (!config.discovery.tailnet.enabled) return { ...base, status: 'skipped', detail: 'discovery.tailnet.enabled is false' };
  const up = deps.platform === 'win32' || deps.platform === 'darwin' ? 'tailscale up' : 'sudo tailscale up';
  let raw: unknown;
  try {
    const clientDeps = { exec: deps.exec, platform: deps.platform, ...(deps.tailscaleLocalApi ? { localApi: deps.tailscaleLocalApi } : {}) };
    raw = await readTailscaleStatus(clientDeps, AbortSignal.timeout(STATUS_TIMEOUT_MS));
  } catch (err) {
    if (err instanceof TailscaleUnavailableError) {
      return { ...base, status: 'warn', detail: 'tailscale is not installed: tailnet discovery off', fix: 'install Tailscale to find agents beyond this LAN (optional)' };
    }
    // The CLI exists but cannot reach tailscaled: the daemon is stopped.
    return {
      ...base,
      status: 'problem',
      detail: `tailscale is installed but its status could not be read: ${describeError(err)}`,
      fix: deps.platform === 'linux' ? 'start the daemon: sudo systemctl enable --now tailscaled' : 'start the Tailscale app',
    };
  }
  const status = parseTailscaleStatus(raw);
  return describeState(status.BackendState, tailnetName(raw), up);
};

function describeState(state: string, tailnet: string | null, up: string): CheckResult {
  if (state === 'Running') return { ...base, status: 'ok', detail: tailnet ? `logged in to tailnet ${tailnet}` : 'running' };
  if (state === 'NeedsMachineAuth') {
    return { ...base, status: 'problem', detail: 'tailscale waits for an admin to approve this machine', fix: 'approve the machine in the Tailscale admin console' };
  }
  if (state === 'Starting' || state === 'NoState') return { ...base, status: 'warn', detail: `tailscale is ${state === 'Starting' ? 'starting' : 'not ready'} (${state})` };
  return { ...base, status: 'problem', detail: `tailscale is not running (${state}): tailnet discovery finds nobody`, fix: `run: ${up}` };
}

/** `CurrentTailnet.Name` (PROTOCOLS.md §4.3), else the MagicDNS suffix; not in the parsed schema. */
function tailnetName(raw: unknown): string | null {
  const r = raw as { CurrentTailnet?: { Name?: unknown } | null; MagicDNSSuffix?: unknown };
  if (typeof r.CurrentTailnet?.Name === 'string' && r.CurrentTailnet.Name) return r.CurrentTailnet.Name;
  return typeof r.MagicDNSSuffix === 'string' && r.MagicDNSSuffix ? r.MagicDNSSuffix : null;
}
