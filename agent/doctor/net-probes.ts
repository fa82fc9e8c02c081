/**
 * The real socket probes behind `DoctorDeps.netListenProbe` and `connectProbe` (node:net). They open
 * a socket and close it at once; nothing is sent.
 */
import { createServer, Socket } from 'node:net';
import type { ConnectProbeResult, ListenProbeResult } from './types.js';

/**
 * Tries to listen on `host:port` and closes again. EADDRINUSE → 'in-use'; EACCES (a port below
 * 1024 without privileges) → 'denied'. Other errors (EADDRNOTAVAIL: the address is not on this
 * machine) reject, so the caller reports them instead of guessing.
 */
export function netListenProbe(port: number, host: string): Promise<ListenProbeResult> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve('in-use');
      else if (err.code === 'EACCES') resolve('denied');
      else reject(err);
    });
    // exclusive: a cluster primary must not hand us a shared handle that hides a taken port.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/**
 * Opens a TCP connection to `host:port`. ECONNREFUSED (and a reset) → 'refused'; no answer within
 * `timeoutMs` (a firewall dropping SYNs) or an unreachable host → 'timeout'.
 */
export function connectProbe(host: string, port: number, timeoutMs: number): Promise<ConnectProbeResult> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: ConnectProbeResult): void => {
      socket.destroy();
      resolve(result);
    };
    // The socket's own idle timer bounds the attempt: no stray timer outlives the probe.
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' ? 'refused' : 'timeout'));
    socket.connect({ host, port });
  });
}
