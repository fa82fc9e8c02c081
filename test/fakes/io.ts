/**
 * In-memory stand-ins for the probes' injected I/O: a file tree for readFile/readdir and a scripted
 * exec. They fail the way the real ones do (NodeJS errors with code ENOENT, ExecError('ENOENT')).
 */
import { ExecError, type Exec, type ExecOptions, type ExecResult } from '../../agent/kernel/exec.js';
import type { ProbeFs } from '../../agent/probe/gpu-sysfs.js';

function enoent(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
}

export interface FakeFs extends ProbeFs {
  reads: string[];
}

/**
 * `files` maps absolute paths to contents; directories exist when a file lies under them.
 * `extraEntries` adds names that readdir lists but that have no files, like a process that exited
 * between readdir and the read.
 */
export function createFakeFs(files: Record<string, string>, extraEntries: Record<string, string[]> = {}): FakeFs {
  const reads: string[] = [];
  return {
    reads,
    readFile(path) {
      reads.push(path);
      const content = files[path];
      return content === undefined ? Promise.reject(enoent(path)) : Promise.resolve(content);
    },
    readdir(dir) {
      const prefix = `${dir}/`;
      const names = new Set(extraEntries[dir] ?? []);
      for (const path of Object.keys(files)) {
        if (path.startsWith(prefix)) names.add(path.slice(prefix.length).split('/')[0] ?? '');
      }
      if (names.size === 0 && !(dir in extraEntries)) return Promise.reject(enoent(dir));
      return Promise.resolve([...names]);
    },
  };
}

export interface ExecCall {
  file: string;
  args: readonly string[];
  opts: ExecOptions;
}

/** Scripted exec keyed by program name; a program not in the script is missing (ENOENT). */
export function createFakeExec(script: Record<string, ExecResult | Error>): Exec & { calls: ExecCall[] } {
  const calls: ExecCall[] = [];
  const exec: Exec = (file, args, opts) => {
    calls.push({ file, args, opts });
    const entry = script[file];
    if (entry === undefined) return Promise.reject(new ExecError('ENOENT', `${file} not found`));
    return entry instanceof Error ? Promise.reject(entry) : Promise.resolve(entry);
  };
  return Object.assign(exec, { calls });
}

export const ok = (stdout: string): ExecResult => ({ stdout, stderr: '' });
