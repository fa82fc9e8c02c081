/** The real socket probes, on 127.0.0.1 only (DESIGN.md §7: no test traffic leaves the machine). */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectProbe, netListenProbe } from '../../../agent/doctor/net-probes.js';

let server: Server | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

function listen(): Promise<number> {
  const s = createServer((socket) => socket.destroy());
  server = s;
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

describe('net probes on 127.0.0.1', () => {
  it('see a listening socket as in-use and open, and the freed port as free and refused', async () => {
    const port = await listen();
    expect(await netListenProbe(port, '127.0.0.1')).toBe('in-use');
    expect(await connectProbe('127.0.0.1', port, 2000)).toBe('open');

    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = null;
    expect(await netListenProbe(port, '127.0.0.1')).toBe('free');
    expect(await connectProbe('127.0.0.1', port, 2000)).toBe('refused');
  });
});
