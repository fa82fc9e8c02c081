/**
 * npm run bench:scale [-- --sizes 2,5,10,20 --starts 3 --idle-sec 60 --settle-sec 30 --form-timeout-sec 120 --keep-logs DIR --cpu-prof-dir DIR --main FILE --skip-power-cut]
 *
 * The mesh after a power cut (issue 17): N agents in network namespaces, each with its own host
 * name (`unshare --uts`), all started within one second, with real mDNS on the lab's bridge. For each
 * N it prints:
 *  - formation: the time from the first start until every agent lists every other as up (from the
 *    agents' own `peer X is up` log lines; ISO ms timestamps, one clock), and the same from the
 *    moment the last agent was ready (on a 2-core box, starting 20 agents alone takes seconds of CPU
 *    that real machines, each with its own, do not share), and the CPU each agent used until it was
 *    ready and until the mesh formed (with the processes it ran), which the other load of a shared
 *    box does not change. The mesh is started `--starts` times from fresh data dirs (SIGKILLed
 *    between), and the formation is the median with its range: one start on a shared 2-core box
 *    can be a second off either way. The last start goes on to the measurements below;
 *  - idle CPU per agent (% of one core, from /proc/<pid>/stat) over `--idle-sec`, from `--settle-sec`
 *    after formation, and RSS;
 *  - the time until every other agent logs a SIGKILLed agent as down;
 *  - then a power cut: every agent SIGKILLed at once, and all started again within a second with
 *    the data dirs they had (node ids, keys, the peers they knew): the time until every agent lists
 *    every other as up again, and the CPU each used until then. `--skip-power-cut` leaves it out, as
 *    `--cpu-prof-dir` does (its agents stop with SIGTERM to write their profiles, and it makes one
 *    start only).
 * The built agent runs (`dist/`, with `npm start`'s node flags), so start-up costs what it costs an
 * installed agent. Prints figures; asserts nothing (DESIGN.md §7). Needs root; cleans up its
 * namespaces and processes, also on failure. `--cpu-prof-dir DIR` writes a V8 CPU profile of each
 * agent but the killed one (node --cpu-prof) to DIR/n<N>/<host>/, stopping them with SIGTERM so they
 * can; read the idle part with test/bench/cpu-profile-summary.ts. `--main FILE` runs another build's
 * entry (an older dist/ kept aside) instead of this one's, for before/after figures on one box.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { createNetnsLab, netnsAvailable, type Lab } from '../netns/netns.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2,5,10,20' },
    'idle-sec': { type: 'string', default: '60' },
    'settle-sec': { type: 'string', default: '30' },
    'form-timeout-sec': { type: 'string', default: '120' },
    'keep-logs': { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
    main: { type: 'string' },
    'skip-power-cut': { type: 'boolean', default: false },
    starts: { type: 'string', default: '3' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const IDLE_MS = Number(values['idle-sec']) * 1000;
/** After formation the start-up traffic (announcements, RFC 6762 queries at 1, 2, 4 … s, advert fetches) dies down first. */
const SETTLE_MS = Number(values['settle-sec']) * 1000;
const FORM_TIMEOUT_MS = Number(values['form-timeout-sec']) * 1000;
const KILL_TIMEOUT_MS = 30_000;
/** Cold starts per size (a SIGKILLed start leaves no profile, so a profiled run makes one). */
const STARTS = values['cpu-prof-dir'] ? 1 : Number(values.starts);
if (!Number.isInteger(STARTS) || STARTS < 1) throw new Error(`--starts must be a whole number ≥ 1 (got ${values.starts})`);
const KEY = 'bench-scale-mesh-key-0123456789ab';
const PORT = 7650;
const DIST_MAIN = values.main ? path.resolve(values.main) : fileURLToPath(new URL('../../dist/agent/main.cjs', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
const NODE_FLAGS = /^node ((?:--\S+ )*)dist\/agent\/main\.c?js/.exec(pkg.scripts.start)?.[1]?.trim().split(' ').filter(Boolean) ?? [];
const CLOCK_TICKS = 100; // USER_HZ on Linux

if (!(await netnsAvailable())) {
  console.log('bench:scale needs root and network namespaces (ip netns); skipped');
  process.exit(0);
}

interface Running {
  host: string;
  /** Started again after the power cut (its log is kept apart). */
  restarted: boolean;
  child: ChildProcess;
  out: string;
  /** CPU seconds (with waited children) read when its `agent ready` line arrived. */
  cpuAtReady?: Promise<number>;
}

/**
 * CPU seconds used so far by a process (utime + stime, /proc/<pid>/stat fields 14 and 15), with
 * `children` also by the child processes it has waited for (cutime + cstime, fields 16 and 17).
 */
async function cpuSec(pid: number, children = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return Number.NaN; // the agent exited
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0)) / CLOCK_TICKS;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** First time (ms) each agent logged `peer <other> is <state>` after `sinceMs`, per observer and peer. */
function firstSeen(agents: Running[], state: 'up' | 'down', sinceMs: number): Map<string, Map<string, number>> {
  const seen = new Map<string, Map<string, number>>();
  const pattern = new RegExp(`^(\\S+) \\S+\\s+discovery: peer (\\S+) is ${state}\\b`, 'gm');
  for (const a of agents) {
    const m = new Map<string, number>();
    for (const line of a.out.matchAll(pattern)) {
      const t = Date.parse(line[1] as string);
      const peer = line[2] as string;
      if (t >= sinceMs && !m.has(peer)) m.set(peer, t);
    }
    seen.set(a.host, m);
  }
  return seen;
}

async function waitUntil<T>(check: () => T | null, timeoutMs: number): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== null) return v;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runSize(n: number): Promise<Record<string, string>> {
  const hosts = Array.from({ length: n }, (_, i) => `h${i + 1}`);
  const lab: Lab = await createNetnsLab({ hosts });
  const baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-scale-'));
  /** The agents of the start being measured. */
  const agents: Running[] = [];
  /** Those of the earlier starts, SIGKILLed (kept for the cleanup below). */
  const spent: Running[] = [];
  try {
    const commands = await Promise.all(
      hosts.map(async (host) => {
        const dir = path.join(baseDir, host);
        await mkdir(dir, { recursive: true });
        const config = path.join(dir, 'agent.config.json');
        await writeFile(config, JSON.stringify({ node: { name: host }, services: { ollama: { enabled: false }, 'immich-ml': { enabled: false } }, discovery: { tailnet: { enabled: false } }, wakeOnLan: { enabled: false } }));
        const prof = values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(values['cpu-prof-dir'], `n${n}`, host)}`] : [];
        const argv = [process.execPath, ...NODE_FLAGS, ...prof, DIST_MAIN, 'start', '--config', config, '--data-dir', path.join(dir, 'data'), '--port', String(PORT), '--key', KEY, '--mdns-interface', lab.host(host).address];
        // Its own UTS namespace: a host name of its own, as real machines have (mDNS A records carry it).
        return { host, cmd: ['unshare', '--uts', 'sh', '-c', `hostname ${host} && exec "$@"`, 'sh', ...argv] };
      }),
    );
    /** Starts every agent within a moment of each other, in host order. */
    const startAll = (restarted: boolean): Running[] =>
      commands.map(({ host, cmd }) => {
        const child = lab.spawn(host, cmd);
        const a: Running = { host, restarted, child, out: '' };
        const take = (d: Buffer): void => {
          a.out += d.toString();
          if (a.cpuAtReady === undefined && a.out.includes(' agent ready ')) a.cpuAtReady = cpuSec(child.pid ?? 0, true);
        };
        child.stdout?.on('data', take);
        child.stderr?.on('data', take);
        return a;
      });
    /** When every agent of `list` had logged every other as up (since `sinceMs`), or null after the timeout. */
    const formed = (list: Running[], sinceMs: number): Promise<number | null> =>
      waitUntil(() => {
        const seen = firstSeen(list, 'up', sinceMs);
        let last = sinceMs;
        for (const a of list) {
          const m = seen.get(a.host) ?? new Map<string, number>();
          for (const other of hosts) {
            if (other === a.host) continue;
            const t = m.get(other);
            if (t === undefined) return null;
            last = Math.max(last, t);
          }
        }
        return last;
      }, FORM_TIMEOUT_MS);
    const gone = (a: Running): boolean => a.child.exitCode !== null || a.child.signalCode !== null;

    // Cold starts (fresh data dirs), SIGKILLed between; the last one stays up for what follows.
    const formations: { ms: number; afterLastReadyMs: number }[] = [];
    const cpuUntilFormed: number[] = [];
    const cpuUntilReady: number[] = [];
    let formedAt: number | null = null;
    let t0 = 0;
    let missing = 0;
    for (let start = 1; start <= STARTS; start++) {
      if (start > 1) {
        for (const a of agents) a.child.kill('SIGKILL');
        await waitUntil(() => (agents.every(gone) ? true : null), 15_000);
        spent.push(...agents.splice(0));
        await Promise.all(hosts.map((host) => rm(path.join(baseDir, host, 'data'), { recursive: true, force: true })));
      }
      t0 = Date.now();
      agents.push(...startAll(false));
      formedAt = await formed(agents, t0);
      cpuUntilFormed.push(...(await Promise.all(agents.map((a) => cpuSec(a.child.pid ?? 0, true)))));
      cpuUntilReady.push(...(await Promise.all(agents.map((a) => a.cpuAtReady ?? Promise.resolve(Number.NaN)))));
      if (formedAt === null) {
        // A start that did not form is the finding: no more starts.
        const seen = firstSeen(agents, 'up', t0);
        for (const a of agents) missing += hosts.filter((o) => o !== a.host && !seen.get(a.host)?.has(o)).length;
        break;
      }
      const readyTimes = agents.map((a) => Date.parse(/^(\S+) \S+\s+agent ready/m.exec(a.out)?.[1] ?? ''));
      const lastReady = Math.max(...readyTimes.filter((t) => Number.isFinite(t)));
      formations.push({ ms: formedAt - t0, afterLastReadyMs: Math.max(0, formedAt - lastReady) });
    }

    // Idle: every agent's CPU over the window, once formed (or after the timeout) and settled.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const pids = agents.map((a) => a.child.pid ?? 0);
    const cpu0 = await Promise.all(pids.map((pid) => cpuSec(pid)));
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const cpu1 = await Promise.all(pids.map((pid) => cpuSec(pid)));
    const pct = cpu1.map((c, i) => ((c - (cpu0[i] ?? 0)) / (IDLE_MS / 1000)) * 100);
    const rss = await Promise.all(pids.map(rssMb));

    // Crash: SIGKILL the last agent; every other must log it down.
    const victim = agents[agents.length - 1] as Running;
    const tKill = Date.now();
    victim.child.kill('SIGKILL');
    const others = agents.filter((a) => a !== victim);
    const downAt = await waitUntil(() => {
      const seen = firstSeen(others, 'down', tKill);
      let last = tKill;
      for (const a of others) {
        const t = seen.get(a.host)?.get(victim.host);
        if (t === undefined) return null;
        last = Math.max(last, t);
      }
      return last;
    }, KILL_TIMEOUT_MS);

    const exited = agents.filter((a) => a !== victim && a.child.exitCode !== null);

    // A power cut: every agent dies at once (SIGKILL: no goodbye, no last write), and all start again
    // within a second with what their data dirs kept: node ids, keys, and the peers they knew.
    let reformedAt: number | null | undefined;
    let cpuUntilReformed: number[] = [];
    let t1 = 0;
    if (!values['skip-power-cut'] && !values['cpu-prof-dir']) {
      for (const a of agents) if (!gone(a)) a.child.kill('SIGKILL');
      await waitUntil(() => (agents.every(gone) ? true : null), 15_000);
      t1 = Date.now();
      const restarted = startAll(true);
      agents.push(...restarted);
      reformedAt = await formed(restarted, t1);
      cpuUntilReformed = await Promise.all(restarted.map((a) => cpuSec(a.child.pid ?? 0, true)));
    }
    for (const a of exited) console.error(`agent ${a.host} exited early:\n${a.out.split('\n').slice(-15).join('\n')}`);
    const alive = (xs: number[]): number[] => xs.filter((x) => Number.isFinite(x));
    const median = (xs: number[]): number => [...alive(xs)].sort((a, b) => a - b)[Math.floor(alive(xs).length / 2)] ?? NaN;
    /** Seconds: the median, with the range when there was more than one start. */
    const spread = (msList: number[]): string => {
      const sec = (ms: number): string => (ms / 1000).toFixed(1);
      return msList.length === 1 ? `${sec(msList[0] ?? NaN)} s` : `${sec(median(msList))} s (${sec(Math.min(...msList))}–${sec(Math.max(...msList))})`;
    };
    return {
      N: String(n),
      [`formation (${STARTS > 1 ? `median of ${STARTS} starts, range` : 'one start'})`]:
        formedAt === null ? `not formed in ${FORM_TIMEOUT_MS / 1000} s (${missing} of ${n * (n - 1)} sightings missing)` : spread(formations.map((f) => f.ms)),
      'formation after the last ready': formedAt === null ? '-' : spread(formations.map((f) => f.afterLastReadyMs)),
      'CPU / agent until ready, until formed (median)': `${median(cpuUntilReady).toFixed(2)} s, ${median(cpuUntilFormed).toFixed(2)} s`,
      'idle CPU / agent (median, max)': `${median(pct).toFixed(2)} %, ${Math.max(...alive(pct)).toFixed(2)} %${exited.length ? ` (${exited.length} exited)` : ''}`,
      'RSS / agent (median)': `${median(rss).toFixed(1)} MB`,
      'SIGKILL → down on all': downAt === null ? `not within ${KILL_TIMEOUT_MS / 1000} s` : `${((downAt - tKill) / 1000).toFixed(1)} s`,
      'after a power cut: formation, CPU / agent until formed':
        reformedAt === undefined ? '-' : reformedAt === null ? `not formed in ${FORM_TIMEOUT_MS / 1000} s` : `${((reformedAt - t1) / 1000).toFixed(1)} s, ${median(cpuUntilReformed).toFixed(2)} s`,
    };
  } finally {
    if (values['cpu-prof-dir']) {
      // SIGTERM, so each writes its profile; bounded like everything else here.
      const running = agents.filter((a) => a.child.exitCode === null);
      for (const a of running) a.child.kill('SIGTERM');
      await waitUntil(() => (running.every((a) => a.child.exitCode !== null) ? true : null), 15_000);
    }
    for (const a of [...spent, ...agents]) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    if (values['keep-logs']) {
      await mkdir(path.join(values['keep-logs'], `n${n}`), { recursive: true });
      for (const a of agents) await writeFile(path.join(values['keep-logs'], `n${n}`, `${a.host}${a.restarted ? '.restarted' : ''}.log`), a.out);
    }
    await lab.destroy();
    await rm(baseDir, { recursive: true, force: true });
  }
}

const rows: Record<string, string>[] = [];
for (const n of SIZES) {
  const row = await runSize(n);
  console.log(JSON.stringify(row));
  rows.push(row);
}
const cols = Object.keys(rows[0] ?? {});
const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
console.log(`\nbench:scale (idle window ${IDLE_MS / 1000} s after ${SETTLE_MS / 1000} s of settling, ${os.cpus().length} cores, load average ${os.loadavg()[0]?.toFixed(1)})`);
console.log(cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | '));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(cols.map((c, i) => (r[c] ?? '').padEnd(widths[i] ?? 0)).join(' | '));
