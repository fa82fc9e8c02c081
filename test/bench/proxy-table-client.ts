/**
 * The client side of the bench:proxy table: node:http with keep-alive (one pool per target, big
 * enough for a burst), timings from performance.now(), and the /proc readings (Linux) of the
 * processes a target runs in.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';

export interface Target {
  label: string;
  port: number;
  /** Path prefix in front of Ollama's own paths ('/ollama' for the agent). */
  prefix: string;
  pool: http.Agent;
  /** The processes doing the proxying, for CPU figures; [] = none measured. */
  pids(): Promise<number[]>;
}

export interface Answer {
  status: number;
  /** ms from sending to the first body chunk / the end. */
  ttfbMs: number;
  totalMs: number;
  node: string | undefined;
  /** The body, for small answers only (≤ 64 KB). */
  body: string | undefined;
}

/** A stuck request fails instead of hanging the run (a bound, not a timing figure). */
const REQUEST_TIMEOUT_MS = 15_000;

export function request(t: Target, method: string, p: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port: t.port, path: `${t.prefix}${p}`, method, agent: t.pool, headers }, (res) => {
      let first = -1;
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (first < 0) first = performance.now();
        bytes += chunk.length;
        if (bytes <= 65_536) chunks.push(chunk);
      });
      res.once('end', () => {
        const end = performance.now();
        const node = res.headers['x-inference-mesh-node'];
        resolve({
          status: res.statusCode ?? 0,
          ttfbMs: (first < 0 ? end : first) - t0,
          totalMs: end - t0,
          node: typeof node === 'string' ? node : undefined,
          body: bytes <= 65_536 ? Buffer.concat(chunks).toString('utf8') : undefined,
        });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}

export async function ok(a: Promise<Answer>): Promise<Answer> {
  const r = await a;
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${(r.body ?? '').slice(0, 200)}`);
  return r;
}

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** utime + stime of live processes together, in ms (Linux /proc; null when unreadable). */
export async function cpuMs(pids: readonly number[]): Promise<number | null> {
  try {
    let sum = 0;
    for (const pid of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += ((Number(fields[11]) + Number(fields[12])) / 100) * 1000; // USER_HZ = 100
    }
    return sum;
  } catch {
    return null;
  }
}

export async function rssMb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return null;
  }
}
