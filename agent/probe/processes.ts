/**
 * The names of the running processes, for "not while a game is running".
 *
 * Not si.processes(): on Linux it runs `ps` and then one shell that `cat`s /proc/stat and every
 * /proc/<pid>/stat to work out CPU percentages we do not need, and on Windows it starts PowerShell
 * (Get-CimInstance Win32_Process); its cost grows with the process count (PROTOCOLS.md §6.2, §6.3).
 * We only need names, and each platform has a cheaper source of those.
 */
import type { Exec } from '../kernel/exec.js';
import type { ProbeFs } from './gpu-sysfs.js';

export interface ProcessDeps {
  platform: NodeJS.Platform;
  exec: Exec;
  fs: ProbeFs;
}

export const processListTimeoutMs = 10_000;

/** /proc reads in flight at once, so a box with thousands of processes does not flood libuv's pool. */
const procBatchSize = 64;

/**
 * The set of process names running now: `comm` and argv[0]'s basename on Linux, image names
 * (`cs2.exe`) on Windows, executable basenames elsewhere. Names keep their case.
 *
 * @example
 * const names = await listProcessNames({ platform: 'linux', exec: nodeExec, fs }, signal);
 * names.has('steam');
 */
export async function listProcessNames(deps: ProcessDeps, signal?: AbortSignal): Promise<Set<string>> {
  const opts = { timeoutMs: processListTimeoutMs, ...(signal ? { signal } : {}) };
  if (deps.platform === 'linux') return listLinuxProcessNames(deps.fs, signal);
  if (deps.platform === 'win32') {
    return new Set(parseTasklistCsv((await deps.exec('tasklist', ['/fo', 'csv', '/nh'], opts)).stdout));
  }
  // macOS and the BSDs: `comm` is the executable path there, basenamed by the parser.
  return new Set(parsePsComm((await deps.exec('ps', ['-axo', 'comm='], opts)).stdout));
}

/**
 * Reads /proc/<pid>/comm and /proc/<pid>/cmdline. comm is cut to 15 characters (TASK_COMM_LEN), so
 * `RocketLeague.exe` shows as `RocketLeague.ex`; argv[0] keeps the full name. With `hidepid=2` on
 * /proc only our own user's processes are visible.
 */
async function listLinuxProcessNames(fs: ProbeFs, signal?: AbortSignal): Promise<Set<string>> {
  const pids = (await fs.readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const names = new Set<string>();
  for (let i = 0; i < pids.length; i += procBatchSize) {
    signal?.throwIfAborted();
    const batch = pids.slice(i, i + procBatchSize);
    const found = await Promise.all(batch.map((pid) => readProcNames(fs, pid)));
    for (const name of found.flat()) names.add(name);
  }
  return names;
}

async function readProcNames(fs: ProbeFs, pid: string): Promise<string[]> {
  // A process can exit between readdir and these reads (ENOENT/ESRCH): it is simply not running.
  const [comm, cmdline] = await Promise.all([
    fs.readFile(`/proc/${pid}/comm`).catch(() => null),
    fs.readFile(`/proc/${pid}/cmdline`).catch(() => null),
  ]);
  const names: string[] = [];
  const c = comm?.replace(/\n$/, '');
  if (c) names.push(c);
  const argv0 = cmdline === null ? null : parseProcCmdlineArgv0(cmdline);
  if (argv0) names.push(argv0);
  return names;
}

/**
 * The basename of argv[0] from a NUL-separated /proc/<pid>/cmdline; `null` for kernel threads
 * (empty cmdline).
 *
 * @example
 * parseProcCmdlineArgv0('/usr/bin/python3\0-m\0immich_ml\0'); // 'python3'
 */
export function parseProcCmdlineArgv0(cmdline: string): string | null {
  const argv0 = cmdline.split('\0')[0] ?? '';
  return argv0 === '' ? null : pathBasename(argv0);
}

/**
 * Image names from `tasklist /fo csv /nh`: one quoted CSV row per process, the image name first.
 * tasklist writes in the console's OEM code page, so non-ASCII names may arrive garbled.
 *
 * @example
 * parseTasklistCsv('"cs2.exe","1234","Console","1","1,024,000 K"\r\n'); // ['cs2.exe']
 */
export function parseTasklistCsv(stdout: string): string[] {
  const names: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s*"((?:[^"]|"")*)"/.exec(line);
    const name = m?.[1]?.replace(/""/g, '"').trim();
    if (name) names.push(name);
  }
  return names;
}

/**
 * Executable basenames from `ps -axo comm=`. macOS prints the full path, which may hold spaces
 * (`/Applications/Google Chrome.app/Contents/MacOS/Google Chrome`), so a line is one name.
 *
 * @example
 * parsePsComm('/sbin/launchd\n/Applications/Steam.app/Contents/MacOS/steam_osx\n'); // ['launchd', 'steam_osx']
 */
export function parsePsComm(stdout: string): string[] {
  const names: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const name = pathBasename(line.trim());
    if (name) names.push(name);
  }
  return names;
}

/**
 * The last path segment, splitting on `/` and `\`: under Wine/Proton argv[0] is a Windows path
 * such as `C:\Program Files (x86)\Steam\steam.exe`.
 */
export function pathBasename(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
}
