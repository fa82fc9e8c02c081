/**
 * Where a process's CPU went, from a V8 profile (`node --cpu-prof`, e.g. bench:proxy --cpu-prof-dir):
 * self time by kind (node's internals, native calls such as writev and the GC, each npm package,
 * our own code), then our own functions. Idle time is left out; shares are of busy time.
 *
 *   node --import tsx test/bench/cpu-profile-summary.ts DIR/agent.cpuprofile [--top 20]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { summarizeProfile, type Profile } from './cpu-profile.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
const file = positionals[0];
const top = Number(values.top);
if (file === undefined || !Number.isInteger(top) || top < 1) throw new Error('usage: cpu-profile-summary.ts FILE.cpuprofile [--top N]');
const { busyUs, idleUs, byKind, ours } = summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as Profile);

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
