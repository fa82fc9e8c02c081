/**
 * Self time of a V8 CPU profile (`node --cpu-prof`) by kind — node's internals, each native call
 * (writev, the GC), each npm package, our own code — and of our own functions. Idle is left out.
 * Read by test/bench/cpu-profile-summary.ts.
 */

/** The parts of the .cpuprofile format (Chrome DevTools Protocol, Profiler.Profile) read here. */
export interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  busyUs: number;
  idleUs: number;
  /** Self time per kind, µs. */
  byKind: Map<string, number>;
  /** Self time per function of our own code (`path name:line`, 1-based), µs. */
  ours: Map<string, number>;
}

export function summarizeProfile(profile: Profile): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byKind = new Map<string, number>();
  const ours = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);
  // timeDeltas[i] is the time since the previous sample, charged to sample i (how DevTools reads it).
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const f = frames.get(id);
    if (f === undefined) return;
    if (f.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    if (f.url === '') add(byKind, `native: ${f.functionName}`, us);
    else if (f.url.startsWith('node:')) add(byKind, "node's internals (JS)", us);
    else if (f.url.includes('/node_modules/')) add(byKind, `npm: ${f.url.split('/node_modules/')[1]?.split('/')[0] ?? '?'}`, us);
    else {
      add(byKind, 'our code', us);
      add(ours, `${f.url.replace(/^.*\/(dist|test)\//, '$1/')} ${f.functionName || '(anonymous)'}:${f.lineNumber + 1}`, us);
    }
  });
  return { busyUs, idleUs, byKind, ours };
}
