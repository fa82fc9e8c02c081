/**
 * Clock skew between agents, named as such (issue 11: a peer 5 minutes ahead was reported as
 * "refused our mesh key", "asleep" and "down"). A peer refuses a signed request whose time is more
 * than the window away from its own clock and says by how much: `clock skew too large (-299.9 s)`
 * (peer-auth.ts, createRequestVerifier). That figure is our request's time minus the peer's clock,
 * so the peer's clock is off from ours by its negation.
 */

const SKEW_RE = /clock skew too large \(([+-]?\d+(?:\.\d+)?) s\)/;

/** The peer's clock minus ours in ms, read from the text of its refusal; null when it is another refusal. */
export function peerClockOffsetMs(refusal: string): number | null {
  const m = SKEW_RE.exec(refusal.slice(0, 4096));
  if (!m?.[1]) return null;
  const skewSec = Number(m[1]);
  return Number.isFinite(skewSec) ? Math.round(-skewSec * 1000) : null;
}

/** "clock off by +300 s": signed whole seconds, + when the node's clock is ahead of ours. */
export function formatClockOffset(offsetMs: number): string {
  const sec = Math.round(offsetMs / 1000);
  return `clock off by ${sec > 0 ? '+' : sec < 0 ? '-' : '±'}${Math.abs(sec)} s`;
}

/** "clock off by +300 s" for a node that refuses us for its clock (types.ts clockOffsetMs), else null. */
export function clockNote(node: { state: string; clockOffsetMs?: number | undefined }): string | null {
  return node.state !== 'up' && node.clockOffsetMs !== undefined ? formatClockOffset(node.clockOffsetMs) : null;
}
