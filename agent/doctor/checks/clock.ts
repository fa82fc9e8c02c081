/**
 * Check 8: is this machine's clock right? Offer windows ("games 18:00–23:00") are evaluated on the
 * local clock, so a clock that is minutes off opens and closes them at the wrong time. The reference
 * is the HTTP `Date` header (RFC 9110 §6.6.1) of a peer agent, found through the running agent's
 * `/api/v1/nodes` or `discovery.peers`, else of the Immich server.
 */
import { formatClockOffset } from '../../../discovery/clock-skew.js';
import { DEFAULT_MAX_SKEW_MS } from '../../../discovery/peer-auth.js';
import { httpGet, localAgentUrl } from '../http.js';
import type { DoctorCheck, DoctorConfig, DoctorDeps } from '../types.js';

const base = { id: 'clock', title: 'Clock' } as const;
/**
 * Agents refuse each other's signed requests beyond ±30 s (discovery/peer-auth.ts
 * DEFAULT_MAX_SKEW_MS): past that it is a problem. A third of it is already worth a warning
 * (issue 11: at +20 s doctor gave a green tick, 10 s from the cliff).
 */
export const MAX_SKEW_MS = DEFAULT_MAX_SKEW_MS;
export const WARN_SKEW_MS = 10_000;
/** Each unreachable reference costs a timeout; a few are enough to find one that answers. */
const MAX_REFERENCES = 3;

export const checkClock: DoctorCheck = async (config, deps) => {
  const refs = (await references(config, deps)).slice(0, MAX_REFERENCES);
  if (refs.length === 0) return { ...base, status: 'skipped', detail: 'no peer agent or Immich server to compare with' };
  for (const ref of refs) {
    // The agent's own record is exact (the peer's refusal names the skew); else the Date header.
    const offsetMs = ref.knownOffsetMs !== undefined ? -ref.knownOffsetMs : await measure(ref.url, deps);
    if (offsetMs === null) continue;
    const seconds = Math.round(Math.abs(offsetMs) / 1000);
    if (Math.abs(offsetMs) <= WARN_SKEW_MS) return { ...base, status: 'ok', detail: `agrees with ${ref.name} within ${Math.max(seconds, 1)} s` };
    // Said from the reference's side, as status and nodes say it: "+300 s" = the reference is ahead.
    const off = `${ref.name}: ${formatClockOffset(-offsetMs).replace('clock off by ', 'clock off by about ')} (${offsetMs < 0 ? 'ahead of' : 'behind'} this machine)`;
    if (Math.abs(offsetMs) <= MAX_SKEW_MS) {
      return { ...base, status: 'warn', detail: `${off}${ref.agent ? `; agents refuse each other's requests beyond ±${MAX_SKEW_MS / 1000} s` : ''}`, fix: ntpFix(deps.platform) };
    }
    return {
      ...base,
      status: 'problem',
      detail: `${off}: ${ref.agent ? "the agents refuse each other's requests, and " : ''}windows would open at the wrong time`,
      fix: ntpFix(deps.platform),
    };
  }
  return { ...base, status: 'skipped', detail: `no reference answered with a Date header (tried ${refs.map((r) => r.name).join(', ')})` };
};

interface Reference {
  name: string;
  url: string;
  /** A peer agent (signed requests between agents fail beyond MAX_SKEW_MS), not Immich. */
  agent: boolean;
  /** The reference's clock minus ours, as the running agent recorded it (NodeRecord.clockOffsetMs). */
  knownOffsetMs?: number;
}

async function references(config: DoctorConfig, deps: DoctorDeps): Promise<Reference[]> {
  const known = await runningAgentPeers(config, deps);
  const urls = [...new Set([...known.map((k) => k.url), ...config.discovery.peers].map((u) => u.replace(/\/+$/, '')))];
  const refs: Reference[] = urls.map((u) => {
    const offset = known.find((k) => k.url.replace(/\/+$/, '') === u)?.offsetMs;
    return { name: `peer ${u}`, url: `${u}/api/v1/health`, agent: true, ...(offset === undefined ? {} : { knownOffsetMs: offset }) };
  });
  if (config.immich) {
    const server = config.immich.serverUrl.replace(/\/+$/, '');
    // §3.1: /api/server/ping needs no key.
    refs.push({ name: `Immich ${server}`, url: `${server}/api/server/ping`, agent: false });
  }
  return refs;
}

/**
 * URLs of the peer agents the local agent knows (none when no agent runs here): the up ones, and
 * those that answer but refuse us for their clock (`clockOffsetMs`), first, as they are the point.
 */
async function runningAgentPeers(config: DoctorConfig, deps: DoctorDeps): Promise<{ url: string; offsetMs?: number }[]> {
  if (config.api.port === 0) return [];
  try {
    const res = await httpGet(deps, `${localAgentUrl(config.api.host, config.api.port)}/api/v1/nodes`);
    if (res.status !== 200) return [];
    const body = JSON.parse(res.text) as { nodes?: unknown };
    if (!Array.isArray(body.nodes)) return [];
    type Row = { state?: unknown; sources?: unknown; activeUrl?: unknown; clockOffsetMs?: unknown; paths?: { url?: unknown }[] };
    const rows = (body.nodes as Row[]).filter((n) => {
      const sources = Array.isArray(n.sources) ? n.sources : [];
      // This node itself is no reference; plain endpoints are not agents.
      return !sources.includes('self') && !sources.includes('endpoint');
    });
    const skewed = rows.flatMap((n) => {
      const url = typeof n.activeUrl === 'string' ? n.activeUrl : Array.isArray(n.paths) ? n.paths[0]?.url : undefined;
      return typeof n.clockOffsetMs === 'number' && typeof url === 'string' ? [{ url, offsetMs: n.clockOffsetMs }] : [];
    });
    const up = rows.filter((n) => n.state === 'up' && typeof n.activeUrl === 'string').map((n) => ({ url: n.activeUrl as string }));
    return [...skewed, ...up];
  } catch {
    return [];
  }
}

/**
 * Local minus reference time in ms, or null without an answer. `Date` is cut to the second, so the
 * reference time lies in [Date, Date + 1 s); compared with the middle of our request the error stays
 * within half a second plus half the round trip, far below WARN_SKEW_MS.
 */
async function measure(url: string, deps: DoctorDeps): Promise<number | null> {
  try {
    const res = await httpGet(deps, url);
    const date = res.headers.get('date');
    const refMs = date === null ? Number.NaN : Date.parse(date);
    if (Number.isNaN(refMs)) return null;
    return (res.sentMs + res.receivedMs) / 2 - (refMs + 500);
  } catch {
    return null;
  }
}

export function ntpFix(platform: NodeJS.Platform): string {
  if (platform === 'win32') return 'turn on Settings → Time & language → Set time automatically (or run w32tm /resync as administrator)';
  if (platform === 'darwin') return 'turn on System Settings → General → Date & Time → Set time and date automatically';
  return 'enable NTP (timedatectl set-ntp true)';
}
