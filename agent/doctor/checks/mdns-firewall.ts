/**
 * Check 4: does a host firewall probably drop mDNS (UDP 5353, PROTOCOLS.md §5.1)? Linux: ufw or
 * firewalld when active without an mDNS allowance. Windows: the firewall is on and node.exe needs an
 * inbound UDP 5353 rule (multicast-dns issue #66). We cannot see every rule set (nftables, iptables,
 * third-party), so anything else is "skipped", not "ok".
 */
import { ExecError } from '../../kernel/exec.js';
import type { CheckResult, DoctorCheck, DoctorDeps } from '../types.js';

const base = { id: 'mdns-firewall', title: 'Firewall and mDNS (UDP 5353)' } as const;
const EXEC_TIMEOUT_MS = 5000;

export const UFW_FIX = "sudo ufw allow 5353/udp comment 'mDNS (inference-mesh)'";
export const FIREWALLD_FIX = 'sudo firewall-cmd --permanent --add-service=mdns && sudo firewall-cmd --reload';
export const WINDOWS_FIX =
  'in an administrator prompt: netsh advfirewall firewall add rule name="inference-mesh mDNS" dir=in action=allow protocol=UDP localport=5353';

export const checkMdnsFirewall: DoctorCheck = async (_config, deps) => {
  if (deps.platform === 'linux') return linux(deps);
  if (deps.platform === 'win32') return windows(deps);
  return skipped(`not checked on ${deps.platform}`);
};

function skipped(detail: string): CheckResult {
  return { ...base, status: 'skipped', detail };
}

/** Runs a command; null when it is not installed, the ExecError when it exits non-zero. */
async function run(deps: DoctorDeps, file: string, args: string[]): Promise<string | ExecError | null> {
  try {
    return (await deps.exec(file, args, { timeoutMs: EXEC_TIMEOUT_MS })).stdout;
  } catch (err) {
    if (err instanceof ExecError) return err.code === 'ENOENT' ? null : err;
    throw err;
  }
}

async function linux(deps: DoctorDeps): Promise<CheckResult> {
  const fromUfw = await ufw(deps);
  if (typeof fromUfw === 'object' && fromUfw !== null) return fromUfw;
  // Both can be installed; only one is normally active, so firewalld is asked when ufw is not.
  const fromFirewalld = await firewalld(deps);
  if (fromFirewalld === 'not-running') return { ...base, status: 'ok', detail: `firewalld is not running${fromUfw === 'inactive' ? ' and ufw is inactive' : ''}` };
  if (fromFirewalld !== null) return fromFirewalld;
  if (fromUfw === 'inactive') return { ...base, status: 'ok', detail: 'ufw is inactive' };
  return skipped('no ufw or firewalld found; other firewalls are not checked');
}

/** A finding, 'inactive', or null when ufw is not installed. */
async function ufw(deps: DoctorDeps): Promise<CheckResult | 'inactive' | null> {
  const out = await run(deps, 'ufw', ['status']);
  if (out === null) return null;
  if (out instanceof ExecError) {
    // `ufw status` needs root ("ERROR: You need to be root to run this script").
    return { ...base, status: 'warn', detail: 'ufw is installed but its status needs root; if it is active, mDNS may be blocked', fix: UFW_FIX };
  }
  if (!/^Status:\s*active/im.test(out)) return 'inactive';
  if (/\b5353(\/udp)?\b[^\n]*ALLOW/i.test(out) || /\bmDNS\b[^\n]*ALLOW/i.test(out)) {
    return { ...base, status: 'ok', detail: 'ufw is active and allows UDP 5353' };
  }
  return { ...base, status: 'warn', detail: 'ufw is active without a rule for UDP 5353: mDNS from peers is probably dropped', fix: UFW_FIX };
}

/** A finding, 'not-running', or null when firewalld is not installed. */
async function firewalld(deps: DoctorDeps): Promise<CheckResult | 'not-running' | null> {
  const state = await run(deps, 'firewall-cmd', ['--state']);
  // `--state` exits 252 with "not running" when firewalld is stopped.
  if (state === null) return null;
  if (state instanceof ExecError || !/^running/m.test(state)) return 'not-running';
  const services = await run(deps, 'firewall-cmd', ['--list-services']);
  const ports = await run(deps, 'firewall-cmd', ['--list-ports']);
  if (typeof services !== 'string' || typeof ports !== 'string') {
    return { ...base, status: 'warn', detail: 'firewalld is running and its rules could not be read; mDNS may be blocked', fix: FIREWALLD_FIX };
  }
  if (/\bmdns\b/.test(services) || /\b5353\/udp\b/.test(ports)) return { ...base, status: 'ok', detail: 'firewalld is running and allows mDNS' };
  return { ...base, status: 'warn', detail: 'firewalld is running without the mdns service: mDNS from peers is probably dropped', fix: FIREWALLD_FIX };
}

async function windows(deps: DoctorDeps): Promise<CheckResult> {
  const out = await run(deps, 'netsh', ['advfirewall', 'show', 'currentprofile']);
  if (typeof out !== 'string') return skipped('netsh advfirewall could not be run');
  // The "State   ON|OFF" line of English Windows. netsh localises its output; a line we cannot
  // read makes the check skipped rather than guessed.
  const state = /^\S+\s+(ON|OFF)\s*$/m.exec(out)?.[1];
  if (state === 'OFF') return { ...base, status: 'ok', detail: 'Windows Firewall is off for the current profile' };
  if (state !== 'ON') return skipped('could not read the Windows Firewall state');
  return {
    ...base,
    status: 'warn',
    detail: 'Windows Firewall is on: without an inbound rule for UDP 5353, mDNS from peers is dropped',
    fix: WINDOWS_FIX,
  };
}
