/**
 * Counts of the process's live handles (servers, sockets, timers), so a lifecycle test can assert
 * that stop() left nothing behind. Node's own `process.getActiveResourcesInfo()`.
 */
const WATCHED = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'UDPWrap', 'FSEventWrap', 'ProcessWrap'];

export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Waits until the live handles are back to `baseline` (sockets close asynchronously), or returns what is left over. */
export async function leakedSince(baseline: Record<string, number>, waitMs = 2000): Promise<Record<string, number>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = activeResources();
    const extra: Record<string, number> = {};
    for (const [kind, n] of Object.entries(now)) if (n > (baseline[kind] ?? 0)) extra[kind] = n - (baseline[kind] ?? 0);
    if (Object.keys(extra).length === 0 || Date.now() > deadline) return extra;
    await new Promise((r) => setTimeout(r, 20));
  }
}
