/**
 * nginx as the reference proxy of bench:proxy (issue 14), when the Debian package is installed: one
 * worker, keep-alive to the upstream, no buffering in either direction, HTTP/1.1 upstream. Runs
 * with its own prefix and configuration in a temp dir (never the system's /etc/nginx), in the
 * foreground (`daemon off`), so the bench owns its pid and stops it by that pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchChildren } from './bench-children.js';

export const NGINX_BIN = '/usr/sbin/nginx';

export interface NginxProxy {
  port: number;
  /** The master and its worker: both count for CPU. */
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** null when nginx is not installed. */
export async function startNginx(opts: { backendPort: number; port: number; children: BenchChildren }): Promise<NginxProxy | null> {
  try {
    await access(NGINX_BIN);
  } catch {
    return null;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-nginx-'));
  // The worker runs as `nobody` (nginx started as root): it must reach the temp paths.
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'tmp'), { mode: 0o777 });
  const conf = path.join(dir, 'nginx.conf');
  const tmp = path.join(dir, 'tmp');
  await writeFile(
    conf,
    `worker_processes 1;
daemon off;
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fcgi; uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  upstream backend { server 127.0.0.1:${opts.backendPort}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${opts.port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Ollama answers 403 to a Host it does not know (the fake does too); the upstream name "backend" is not one.
      proxy_set_header Host 127.0.0.1:${opts.backendPort};
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`,
  );
  const proc: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', conf, '-g', `pid ${path.join(dir, 'nginx.pid')};`], { stdio: ['ignore', 'ignore', 'pipe'] });
  // SIGTERM is nginx's fast shutdown: the master takes its worker down with it (a SIGKILLed master would leave the worker).
  opts.children.adopt('nginx', proc, 'SIGTERM');
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const stop = async (): Promise<void> => {
    // SIGQUIT is nginx's graceful stop; SIGKILL after a bound (the worker dies with the master's pipe).
    if (running()) {
      proc.kill('SIGQUIT');
      const timer = setTimeout(() => running() && proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const pids = async (): Promise<number[]> => {
    const master = proc.pid;
    if (master === undefined) return [];
    const out = [master];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      if (stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master) out.push(Number(entry));
    }
    return out;
  };
  // Ready when it accepts connections (it prints nothing on success).
  const net = await import('node:net');
  for (let i = 0; ; i++) {
    if (!running()) {
      await stop();
      throw new Error(`nginx exited at start: ${err.trim()}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(opts.port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) {
      await stop();
      throw new Error(`nginx did not listen on 127.0.0.1:${opts.port} within 5 s: ${err.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port: opts.port, pids, stop };
}
