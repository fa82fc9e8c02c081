/**
 * A lab of "machines" on one box: Linux network namespaces joined by a bridge (DESIGN.md §7,
 * TOOLCHAIN.md "Several hosts on one machine"). Multi-host tests run real agents in it with real
 * mDNS, real kills and real link cuts, and nothing ever reaches the outside network:
 *
 *   ns <id>-br:   lo, br0 (bridge), v-<host> (bridge-side veth of each host)
 *   ns <id>-<h>:  lo, eth0 = 10.77.<subnet>.<11+i>/24, multicast on, route 224.0.0.0/4 dev eth0
 *
 * Safety rules this file keeps:
 * - Every address and interface lives inside namespaces this lab created; the root namespace's
 *   interfaces are never touched (every `ip` command here carries `-n <our ns>` or works on
 *   `netns` objects by their unique name).
 * - Namespace names are unique per process and per lab: `im-t<pid>r<run>-<role>`. The creating
 *   pid in the name lets cleanupStaleLabs() tell a crashed run's leftovers from a live run's lab.
 * - Everything created is removed by destroy(), on process exit, on SIGINT/SIGTERM, and (for a
 *   run that was SIGKILLed) by the next run's stale sweep.
 * - Only processes this lab started are killed, by pid (their process group, see spawn()).
 *
 * Needs root (CI runs as root). Tests gate on netnsAvailable().
 */
import { execFile, execFileSync, spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Prefix of every namespace a lab creates; the full name is `im-t<pid>r<run>-<role>`. */
export const LAB_PREFIX = 'im-t';
/** `im-t<pid>r<run>-<role>`: role is `br` or a host name. Digits are decimal so a human can read the pid. */
const NAME_RE = /^im-t(\d+)r(\d+)-([a-z][a-z0-9]*)$/;
/** Host names end up in interface names (`v-<host>`, max 15 chars) and namespace names. */
const HOST_RE = /^[a-z][a-z0-9]{0,9}$/;
const MDNS_ROUTE = ['224.0.0.0/4', 'dev', 'eth0'];
const IP_TIMEOUT_MS = 10_000;

export interface LabHost {
  name: string;
  /** Namespace name, for `ip netns exec <ns>` or `ip -n <ns>`. */
  ns: string;
  /** IPv4 address of eth0 in that namespace, without prefix length. */
  address: string;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this long; default 30 s so a hung command cannot hang the suite. */
  timeoutMs?: number;
  /** Merged over process.env (the command needs PATH etc.). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SpawnOptions {
  /** Merged over process.env (the command needs PATH etc.). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Default 'pipe' for stdout/stderr (stdin is always ignored). Read piped output (collectOutput) or a chatty child blocks once the pipe is full. */
  stdio?: 'pipe' | 'inherit' | 'ignore';
}

export interface Lab {
  /** `im-t<pid>r<run>`: the common prefix of this lab's namespaces. */
  readonly id: string;
  /** e.g. '10.77.42.0/24'. */
  readonly subnet: string;
  /** The namespace holding br0 and the bridge-side veths. */
  readonly bridgeNs: string;
  /** Every namespace of this lab (bridge first). */
  readonly namespaces: readonly string[];
  readonly hosts: readonly LabHost[];
  host(name: string): LabHost;
  /** Runs `ip netns exec <ns> ...cmd`; resolves stdout, rejects with a NetnsExecError carrying stderr. */
  exec(host: string, cmd: string[], opts?: ExecOptions): Promise<string>;
  /** Starts a long-running process (an agent) in the host's namespace; destroy() SIGKILLs it if still alive. */
  spawn(host: string, cmd: string[], opts?: SpawnOptions): ChildProcess;
  /** Partitions the host: its bridge-side veth goes down (the host sees NO-CARRIER). */
  cutLink(host: string): Promise<void>;
  /** Heals cutLink(): link up, waits for carrier, re-adds the multicast route. */
  restoreLink(host: string): Promise<void>;
  /** Kills what spawn() started and deletes every namespace of this lab. Idempotent, never throws. */
  destroy(): Promise<void>;
}

export class NetnsExecError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
    this.name = 'NetnsExecError';
  }
}

// ---------------------------------------------------------------------------------------------
// Last-resort cleanup. One set of process handlers for all live labs of this process (not one per
// lab: that would trip MaxListenersExceededWarning with many labs), installed while any lab lives.

interface LabState {
  /** Namespaces in creation order; a name is pushed *before* `ip netns add` so an interrupt mid-add still deletes it. */
  namespaces: string[];
  children: Set<ChildProcess>;
}

const liveLabs = new Set<LabState>();
let handlersInstalled = false;
let runCounter = 0;

function onExit(): void {
  for (const state of liveLabs) destroySync(state);
  liveLabs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  removeHandlers();
  // Listening to SIGINT/SIGTERM switches off Node's default "terminate". If nobody else listens,
  // re-raise so the process still dies of the signal, as it would without this module.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function removeHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** Synchronous because 'exit' handlers cannot await. Best effort: errors are swallowed, nothing else can be done at exit. */
function destroySync(state: LabState): void {
  for (const child of state.children) killGroup(child, 'SIGKILL');
  state.children.clear();
  for (const ns of [...state.namespaces].reverse()) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      // Already gone, or nothing more we can do while exiting.
    }
  }
  state.namespaces.length = 0;
}

// ---------------------------------------------------------------------------------------------

function log(message: string, err?: unknown): void {
  const detail = err === undefined ? '' : `: ${err instanceof Error ? err.message : JSON.stringify(err)}`;
  console.warn(`[netns-lab] ${message}${detail}`);
}

/** `ip ...args` in the root context (but every call here names one of our namespaces). */
function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

const isMissing = (err: unknown): boolean => err instanceof Error && /No such file|not found|does not exist/i.test(err.message);

/**
 * Kills a child we spawned, and its descendants: spawn() makes each child a process-group leader
 * (detached), so `kill(-pid)` reaches e.g. the node process a `tsx` CLI forks. Only children whose
 * exit has not been seen are signalled: an un-reaped child still owns its pid, so the pid cannot
 * have been reused by someone else's process.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      process.kill(child.pid, signal);
    } catch {
      // ESRCH: already dead.
    }
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onChildExit);
      resolve(false);
    }, timeoutMs);
    function onChildExit(): void {
      clearTimeout(timer);
      resolve(true);
    }
    child.once('exit', onChildExit);
  });
}

/** True unless the pid is gone or a zombie (a zombie's netns no longer holds anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces or parens, so split at the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Names from `ip netns list` (its lines look like `name (id: 3)` or just `name`). */
export async function listNetns(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

async function netnsPids(ns: string): Promise<number[]> {
  const out = await ip(['netns', 'pids', ns]);
  return out
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Deletes namespaces left by earlier runs that died without cleaning up (SIGKILL, OOM, a killed
 * vitest worker). A namespace is deleted only if its name matches `<prefix><pid>r<run>-<role>`,
 * that pid is not alive (so a parallel live run's lab is never touched), and no process runs in it
 * (we never kill a process we did not start; a namespace with processes is reported and kept).
 * Returns the deleted names.
 */
export async function cleanupStaleLabs(prefix: string = LAB_PREFIX): Promise<string[]> {
  if (prefix !== LAB_PREFIX) {
    // The pid is parsed from our own name format; another prefix would need another parser.
    throw new Error(`cleanupStaleLabs only understands names starting with ${LAB_PREFIX}`);
  }
  const deleted: string[] = [];
  for (const ns of await listNetns()) {
    const m = NAME_RE.exec(ns);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    try {
      const pids = await netnsPids(ns);
      if (pids.length > 0) {
        log(`stale namespace ${ns} still has processes ${pids.join(',')}; leaving it alone`);
        continue;
      }
      await ip(['netns', 'del', ns]);
      deleted.push(ns);
    } catch (err) {
      if (!isMissing(err)) log(`could not delete stale namespace ${ns}`, err);
    }
  }
  if (deleted.length > 0) log(`deleted stale namespaces of dead runs: ${deleted.join(' ')}`);
  return deleted;
}

let staleSweep: Promise<void> | undefined;

function nextLabId(): { id: string; run: number } {
  const run = runCounter++;
  return { id: `${LAB_PREFIX}${process.pid}r${run}`, run };
}

let availability: Promise<boolean> | undefined;

/**
 * Can this process build labs? Root on Linux, and a throwaway namespace can be added, entered
 * (`ip netns exec` needs a private mount namespace, which some containers forbid) and given a
 * bridge. The probe namespace follows the lab name format so a crash mid-probe is swept later.
 */
export function netnsAvailable(): Promise<boolean> {
  availability ??= (async () => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
    const ns = `${nextLabId().id}-probe`;
    try {
      await ip(['netns', 'add', ns]);
    } catch {
      return false;
    }
    try {
      await ip(['netns', 'exec', ns, 'true']);
      await ip(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      return true;
    } catch {
      return false;
    } finally {
      await ip(['netns', 'del', ns]).catch((err: unknown) => log(`could not delete probe namespace ${ns}`, err));
    }
  })();
  return availability;
}

async function waitForCarrier(ns: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await ip(['-n', ns, '-o', 'link', 'show', 'dev', 'eth0']);
    if (/[<,]LOWER_UP[,>]/.test(out)) return;
    if (Date.now() > deadline) throw new Error(`eth0 in ${ns} has no carrier after ${timeoutMs} ms: ${out.trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Builds the lab. On any failure everything created so far is deleted before the error is
 * rethrown. The first lab of a process also sweeps stale namespaces of dead earlier runs.
 */
export async function createNetnsLab(opts: { hosts: string[] }): Promise<Lab> {
  const names = opts.hosts;
  if (names.length === 0 || names.length > 200) throw new Error('a lab needs 1..200 hosts');
  for (const name of names) {
    if (!HOST_RE.test(name) || name === 'br' || name === 'probe') throw new Error(`bad host name ${JSON.stringify(name)}: /^[a-z][a-z0-9]{0,9}$/, not "br"/"probe"`);
  }
  if (new Set(names).size !== names.length) throw new Error('host names must be unique');

  staleSweep ??= cleanupStaleLabs().then(
    () => undefined,
    (err: unknown) => log('stale namespace sweep failed', err),
  );
  await staleSweep;

  const { id, run } = nextLabId();
  // Labs are isolated from each other anyway; distinct subnets just keep logs and captures unambiguous.
  const subnetOctet = ((process.pid * 7 + run) % 254) + 1;
  const subnet = `10.77.${subnetOctet}.0/24`;
  const bridgeNs = `${id}-br`;
  const hosts: LabHost[] = names.map((name, i) => ({ name, ns: `${id}-${name}`, address: `10.77.${subnetOctet}.${11 + i}` }));
  const state: LabState = { namespaces: [], children: new Set() };
  liveLabs.add(state);
  installHandlers();

  const addNs = async (ns: string): Promise<void> => {
    state.namespaces.push(ns);
    await ip(['netns', 'add', ns]);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  };

  const hostOf = (name: string): LabHost => {
    const h = hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${JSON.stringify(name)} in lab ${id} (hosts: ${names.join(', ')})`);
    return h;
  };

  let destroying: Promise<void> | undefined;
  const destroy = (): Promise<void> => {
    destroying ??= destroyAsync(state).catch((err: unknown) => log(`destroy of lab ${id} failed unexpectedly`, err));
    return destroying;
  };

  try {
    await addNs(bridgeNs);
    // mcast_snooping 0: the bridge floods all multicast to every port, like a home-lab switch
    // without IGMP snooping, so a group join is never lost to a snooping timer after a link cut.
    await ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    for (const h of hosts) {
      await addNs(h.ns);
      // The peer is created directly inside the host namespace, so no interface ever exists in the root namespace.
      await ip(['-n', bridgeNs, 'link', 'add', `v-${h.name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
      await ip(['-n', bridgeNs, 'link', 'set', `v-${h.name}`, 'master', 'br0', 'up']);
      await ip(['-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0']);
      await ip(['-n', h.ns, 'link', 'set', 'eth0', 'multicast', 'on', 'up']);
      // Without a multicast route, an mDNS socket that is not pinned to an interface fails to
      // send (silently, in bonjour-service): the namespace has no default route.
      await ip(['-n', h.ns, 'route', 'add', ...MDNS_ROUTE]);
    }
    for (const h of hosts) await waitForCarrier(h.ns);
  } catch (err) {
    await destroy();
    throw err;
  }

  const lab: Lab = {
    id,
    subnet,
    bridgeNs,
    namespaces: [bridgeNs, ...hosts.map((h) => h.ns)],
    hosts,
    host: hostOf,

    exec(host, cmd, execOpts = {}) {
      const h = hostOf(host);
      if (cmd.length === 0) return Promise.reject(new Error('exec: empty command'));
      return new Promise((resolve, reject) => {
        const child = execFile(
          'ip',
          ['netns', 'exec', h.ns, ...cmd],
          {
            timeout: execOpts.timeoutMs ?? 30_000,
            killSignal: 'SIGKILL',
            maxBuffer: 16 * 1024 * 1024,
            env: { ...process.env, ...execOpts.env },
            ...(execOpts.cwd === undefined ? {} : { cwd: execOpts.cwd }),
          },
          (err, stdout, stderr) => {
            state.children.delete(child);
            if (!err) return resolve(stdout);
            // err is an ExecFileException: numeric code = exit status, string code = spawn errno.
            const e = err;
            const exitCode = typeof e.code === 'number' ? e.code : null;
            const why = e.killed ? `killed after ${execOpts.timeoutMs ?? 30_000} ms` : exitCode !== null ? `exit ${exitCode}` : (e.signal ?? e.message);
            reject(new NetnsExecError(`[${host}] ${cmd.join(' ')} failed (${why}): ${stderr.trim()}`, stdout, stderr, exitCode, e.signal ?? null));
          },
        );
        // Tracked so an interrupt of the test process kills it too.
        state.children.add(child);
      });
    },

    spawn(host, cmd, spawnOpts = {}) {
      const h = hostOf(host);
      if (cmd.length === 0) throw new Error('spawn: empty command');
      const out = spawnOpts.stdio ?? 'pipe';
      // `ip netns exec` execs the command in place (no fork), so child.pid is the command's pid.
      // detached: the child leads its own process group, which destroy() kills as a whole.
      const child = spawnProcess('ip', ['netns', 'exec', h.ns, ...cmd], {
        detached: true,
        stdio: ['ignore', out, out],
        env: { ...process.env, ...spawnOpts.env },
        ...(spawnOpts.cwd === undefined ? {} : { cwd: spawnOpts.cwd }),
      });
      state.children.add(child);
      child.once('exit', () => state.children.delete(child));
      // An unhandled 'error' (e.g. spawn failure) would crash the test process; callers may add their own listener.
      child.on('error', (err) => log(`[${host}] ${cmd.join(' ')}`, err));
      return child;
    },

    async cutLink(host) {
      await ip(['-n', bridgeNs, 'link', 'set', `v-${hostOf(host).name}`, 'down']);
    },

    async restoreLink(host) {
      const h = hostOf(host);
      await ip(['-n', bridgeNs, 'link', 'set', `v-${h.name}`, 'up']);
      await waitForCarrier(h.ns);
      // TOOLCHAIN.md measured that a link going down can delete the manual multicast route for
      // good (it does when eth0 itself goes down); `replace` re-adds it and is a no-op if it survived.
      await ip(['-n', h.ns, 'route', 'replace', ...MDNS_ROUTE]);
    },

    destroy,
  };
  return lab;
}

async function destroyAsync(state: LabState): Promise<void> {
  const errors: string[] = [];

  // 1. Our children, by process group, and wait until they are reaped (a zombie would still show
  //    as alive to a test, and a live process keeps its namespace in existence after `netns del`).
  const children = [...state.children];
  for (const child of children) killGroup(child, 'SIGKILL');
  const exited = await Promise.all(children.map((c) => waitForExit(c, 5_000)));
  exited.forEach((ok, i) => {
    if (!ok) errors.push(`pid ${children[i]?.pid} did not exit after SIGKILL`);
  });

  // 2. Stragglers: processes in our namespaces that escaped the process group (setsid). Only this
  //    lab's exec()/spawn() could have started anything in these uniquely named namespaces.
  for (const ns of state.namespaces) {
    let pids: number[] = [];
    try {
      pids = await netnsPids(ns);
    } catch (err) {
      if (!isMissing(err)) errors.push(err instanceof Error ? err.message : JSON.stringify(err));
      continue;
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    const deadline = Date.now() + 3_000;
    while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const left = pids.filter(isProcessAlive);
    if (left.length > 0) errors.push(`processes ${left.join(',')} still alive in ${ns}`);
  }

  // 3. The namespaces. Deleting a host namespace also deletes its veth pair.
  for (const ns of [...state.namespaces].reverse()) {
    try {
      await ip(['netns', 'del', ns]);
    } catch (err) {
      if (!isMissing(err)) errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  state.namespaces.length = 0;
  state.children.clear();
  liveLabs.delete(state);
  if (liveLabs.size === 0) removeHandlers();
  if (errors.length > 0) log(`destroy finished with errors:\n  ${errors.join('\n  ')}`);
}

// ---------------------------------------------------------------------------------------------

export type LineMatch = string | RegExp | ((line: string) => boolean);

export interface OutputCollector {
  /** Complete lines seen so far. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout line (seen already or later) that matches; rejects on timeout or when the child closes first. */
  waitFor(match: LineMatch, timeoutMs?: number): Promise<string>;
}

/**
 * Reads a spawned child's stdout/stderr line by line (which also keeps its pipes drained) so a
 * test can wait for "listening", "ready" or an agent's log line.
 */
export function collectOutput(child: ChildProcess): OutputCollector {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ test: (l: string) => boolean; resolve: (l: string) => void; reject: (e: Error) => void }>();
  let closed = false;

  const lineReader = (sink: string[], onLine?: (l: string) => void) => {
    let partial = '';
    return (chunk: string): void => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        sink.push(line);
        onLine?.(line);
      }
    };
  };
  const onStdoutLine = (line: string): void => {
    for (const w of waiters) if (w.test(line)) w.resolve(line);
  };
  child.stdout?.setEncoding('utf8').on('data', lineReader(stdout, onStdoutLine));
  child.stderr?.setEncoding('utf8').on('data', lineReader(stderr));
  child.once('close', (code, signal) => {
    closed = true;
    const why = new Error(`process exited (${signal ?? `code ${code}`}) before the expected line; stderr: ${stderr.slice(-5).join(' | ')}`);
    for (const w of waiters) w.reject(why);
  });

  return {
    stdout,
    stderr,
    waitFor(match, timeoutMs = 10_000) {
      const test = typeof match === 'string' ? (l: string) => l.includes(match) : match instanceof RegExp ? (l: string) => match.test(l) : match;
      const seen = stdout.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      if (closed) return Promise.reject(new Error(`process already exited; stderr: ${stderr.slice(-5).join(' | ')}`));
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no line matching ${String(match)} within ${timeoutMs} ms; stdout tail: ${stdout.slice(-5).join(' | ')}`));
        }, timeoutMs);
        const w = {
          test,
          resolve: (l: string) => {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(l);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            waiters.delete(w);
            reject(e);
          },
        };
        waiters.add(w);
      });
    },
  };
}
