/**
 * Check 5 (Linux): WSL2 with its default NAT networking. LAN multicast does not reach the VM, so
 * mDNS discovery across the LAN cannot work (PROTOCOLS.md §5.1, §5.3). WSL2 kernels name themselves
 * `…-microsoft-standard-WSL2` in /proc/version; WSL1 ("…-Microsoft") shares Windows' network and is fine.
 */
import { isIn172_16, lanIpv4Addresses } from '../addresses.js';
import type { CheckResult, DoctorCheck, DoctorDeps } from '../types.js';

const base = { id: 'wsl-nat', title: 'WSL2 networking' } as const;
const EXEC_TIMEOUT_MS = 5000;

export const WSL_FIX =
  'set networkingMode=mirrored under [wsl2] in %UserProfile%\\.wslconfig (Windows 11 22H2 or later) and run wsl --shutdown, or use Tailscale or discovery.peers instead of mDNS';

export const checkWslNat: DoctorCheck = async (_config, deps) => {
  if (deps.platform !== 'linux') return { ...base, status: 'skipped', detail: `not WSL (${deps.platform})` };
  let version = '';
  try {
    version = await deps.readFile('/proc/version');
  } catch {
    // No /proc: certainly not WSL2, whose kernel always provides it.
  }
  if (!/microsoft/i.test(version)) return { ...base, status: 'skipped', detail: 'not running under WSL' };
  if (!/microsoft-standard|WSL2/i.test(version)) return { ...base, status: 'ok', detail: "WSL1 shares Windows' network" };
  const mode = (await networkingMode(deps)) ?? guessFromAddresses(deps);
  if (mode === 'mirrored') return { ...base, status: 'ok', detail: 'WSL2 with mirrored networking' };
  return nat(mode === 'nat' ? 'WSL2 NAT networking' : 'WSL2 NAT networking (eth0 is in 172.16.0.0/12)');
};

/** `wslinfo --networking-mode` (WSL 2.0+) prints `nat` or `mirrored`; older WSL lacks it. */
async function networkingMode(deps: DoctorDeps): Promise<'nat' | 'mirrored' | null> {
  try {
    const out = (await deps.exec('wslinfo', ['--networking-mode'], { timeoutMs: EXEC_TIMEOUT_MS })).stdout.trim().toLowerCase();
    return out === 'nat' || out === 'mirrored' ? out : null;
  } catch {
    return null;
  }
}

/**
 * Under NAT the VM only has a 172.16.0.0/12 address handed out by Windows; mirrored mode copies the
 * Windows host's LAN addresses into the VM.
 */
function guessFromAddresses(deps: DoctorDeps): 'nat-guess' | 'mirrored' {
  const addrs = lanIpv4Addresses(deps.networkInterfaces());
  return addrs.length > 0 && addrs.every((a) => isIn172_16(a.address)) ? 'nat-guess' : 'mirrored';
}

function nat(what: string): CheckResult {
  return { ...base, status: 'problem', detail: `${what}: mDNS from the LAN does not reach this VM`, fix: WSL_FIX };
}
