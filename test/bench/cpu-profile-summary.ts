/**
 * Where a process's CPU went, from a V8 profile (`node --cpu-prof`, e.g. bench:proxy --cpu-prof-dir):
 * self time by kind (node's internals, native calls such as writev and the GC, each npm package,
 * our own code), then our own functions. Idle time is left out; shares are of busy time.
 *
 *   node --import tsx test/bench/cpu-profile-summary.ts DIR/agent.cpuprofile [--top 20]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/** The parts of the .cpuprofile format (Chrome DevTools Protocol, Profiler.Profile) read here. */
interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
const file = positionals[0];
const top = Number(values.top);
if (file === undefined || !Number.isInteger(top) || top < 1) throw new Error('usage: cpu-profile-summary.ts FILE.cpuprofile [--top N]');
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));

const byKind = new Map<string, number>();
const ours = new Map<string, number>();
let busyUs = 0;
let idleUs = 0;
const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);
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

const rows = (m: Map<string, number>): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `  ${((us / busyUs) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
    .join('\n');
console.log(`${file}: busy ${(busyUs / 1000).toFixed(0)} ms, idle ${(idleUs / 1000).toFixed(0)} ms; self time, % of busy`);
console.log(rows(byKind));
console.log('our code, by function:');
console.log(rows(ours));
