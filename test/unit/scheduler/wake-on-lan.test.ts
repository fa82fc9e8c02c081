/**
 * Wake-on-LAN over a real UDP socket. SAFETY (DESIGN.md §7): every packet here goes to 127.0.0.1,
 * to a listener this test binds on loopback; nothing is ever sent to a broadcast or LAN address.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WOL_PORT, MAGIC_PACKET_BYTES, WakeOnLanError, magicPacket, parseMac, sendMagicPacket } from '../../../agent/adapters/wake-on-lan.js';

const MAC_BYTES = [0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e];

describe('parseMac', () => {
  it.each([
    ['colons, lower case', '00:1a:2b:3c:4d:5e'],
    ['colons, upper case', '00:1A:2B:3C:4D:5E'],
    ['hyphens', '00-1A-2B-3C-4D-5E'],
    ['Cisco dotted', '001a.2b3c.4d5e'],
    ['bare hex', '001a2b3c4d5e'],
    ['bare hex, mixed case', '001A2b3C4d5E'],
  ])('accepts %s (%s)', (_label, mac) => {
    expect([...parseMac(mac)]).toEqual(MAC_BYTES);
  });

  it.each([
    ['empty', ''],
    ['too short', '00:1a:2b:3c:4d'],
    ['too long', '00:1a:2b:3c:4d:5e:6f'],
    ['not hex', '00:1a:2b:3c:4d:5g'],
    ['single-digit octets', '0:1a:2b:3c:4d:5e'],
    ['mixed separators', '00:1a-2b:3c-4d:5e'],
    ['dots in pairs', '00.1a.2b.3c.4d.5e'],
    ['Cisco with colons', '001a:2b3c:4d5e'],
    ['surrounding space', ' 00:1a:2b:3c:4d:5e'],
    ['trailing separator', '00:1a:2b:3c:4d:5e:'],
    ['11 hex digits', '001a2b3c4d5'],
    ['an IP address', '192.168.1.255'],
  ])('rejects %s (%j) with a clear error', (_label, mac) => {
    expect(() => parseMac(mac)).toThrow(WakeOnLanError);
    expect(() => parseMac(mac)).toThrow(`invalid MAC address ${JSON.stringify(mac)}: expected six hex bytes as aa:bb:cc:dd:ee:ff`);
  });
});

/** The expected packet, built independently of the code under test. */
function expectedPacket(mac: readonly number[]): number[] {
  const bytes: number[] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  for (let i = 0; i < 16; i++) bytes.push(...mac);
  return bytes;
}

function expectMagicPacket(packet: Buffer, mac: readonly number[]): void {
  expect(packet.length).toBe(102);
  // Sync stream: exactly six 0xFF bytes.
  for (let i = 0; i < 6; i++) expect(packet[i], `byte ${i}`).toBe(0xff);
  // Then the MAC sixteen times, byte for byte.
  for (let rep = 0; rep < 16; rep++) {
    for (let b = 0; b < 6; b++) expect(packet[6 + rep * 6 + b], `repeat ${rep} byte ${b}`).toBe(mac[b]);
  }
  expect([...packet]).toEqual(expectedPacket(mac));
}

describe('magicPacket', () => {
  it('is 6 × 0xFF then the MAC 16 times, 102 bytes', () => {
    expect(MAGIC_PACKET_BYTES).toBe(102);
    expectMagicPacket(magicPacket('00:1a:2b:3c:4d:5e'), MAC_BYTES);
  });

  it('is the same for every spelling of the MAC', () => {
    const reference = magicPacket('00:1a:2b:3c:4d:5e');
    for (const mac of ['00-1A-2B-3C-4D-5E', '001a.2b3c.4d5e', '001a2b3c4d5e']) expect(magicPacket(mac).equals(reference)).toBe(true);
  });

  it('keeps MAC bytes that are 0xFF or 0x00 intact (the sync stream is only the first 6)', () => {
    const mac = [0xff, 0x00, 0xff, 0x00, 0x12, 0xff];
    expectMagicPacket(magicPacket('ff:00:ff:00:12:ff'), mac);
  });

  it('rejects a bad MAC', () => {
    expect(() => magicPacket('nope')).toThrow(/invalid MAC address "nope"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real sockets, loopback only.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

interface Listener {
  port: number;
  /** Resolves with the first datagram and where it came from. */
  next(): Promise<{ data: Buffer; from: dgram.RemoteInfo }>;
  received: Buffer[];
}

async function listenOnLoopback(): Promise<Listener> {
  const server = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  const waiters: ((m: { data: Buffer; from: dgram.RemoteInfo }) => void)[] = [];
  server.on('message', (data, from) => {
    received.push(data);
    waiters.shift()?.({ data, from });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(0, '127.0.0.1', () => resolve());
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  expect(address.address).toBe('127.0.0.1');
  return {
    port: address.port,
    received,
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

/** Wraps the real dgram factory to watch what the code does with its socket. */
function watchedSockets(tweak?: (socket: dgram.Socket) => void) {
  const sockets: { socket: dgram.Socket; closed: boolean; broadcast: boolean[] }[] = [];
  const createSocket = (type: 'udp4'): dgram.Socket => {
    const socket = dgram.createSocket(type);
    const entry = { socket, closed: false, broadcast: [] as boolean[] };
    socket.on('close', () => {
      entry.closed = true;
    });
    const setBroadcast = socket.setBroadcast.bind(socket);
    socket.setBroadcast = (flag: boolean) => {
      entry.broadcast.push(flag);
      setBroadcast(flag);
    };
    tweak?.(socket);
    sockets.push(entry);
    return socket;
  };
  return { sockets, createSocket };
}

describe('sendMagicPacket (loopback only)', () => {
  it('delivers the exact magic packet to a UDP listener on 127.0.0.1 and closes its socket', async () => {
    const listener = await listenOnLoopback();
    const { sockets, createSocket } = watchedSockets();
    const arrival = listener.next();

    await sendMagicPacket({ mac: '00-1A-2B-3C-4D-5E', address: '127.0.0.1', port: listener.port, createSocket });

    const { data, from } = await arrival;
    expect(from.address).toBe('127.0.0.1');
    expectMagicPacket(data, MAC_BYTES);
    expect(listener.received).toHaveLength(1);
    expect(sockets).toHaveLength(1);
    // Closed before sendMagicPacket resolved, not eventually.
    expect(sockets[0]?.closed).toBe(true);
    // Loopback needs no SO_BROADCAST, so the code must not have asked for it.
    expect(sockets[0]?.broadcast).toEqual([]);
  });

  it('works with the default node:dgram factory too', async () => {
    const listener = await listenOnLoopback();
    const arrival = listener.next();
    await sendMagicPacket({ mac: 'ff:00:ff:00:12:ff', address: '127.0.0.1', port: listener.port });
    expectMagicPacket((await arrival).data, [0xff, 0x00, 0xff, 0x00, 0x12, 0xff]);
  });

  it('closes the socket when the send fails, and says where it was sending', async () => {
    const failure = Object.assign(new Error('send EHOSTUNREACH 127.0.0.1:9'), { code: 'EHOSTUNREACH' });
    const { sockets, createSocket } = watchedSockets((socket) => {
      // The real socket is bound and closed; only the send reports an error, as the kernel would.
      socket.send = ((...args: unknown[]) => {
        const callback = args[args.length - 1] as (err: Error | null) => void;
        process.nextTick(() => callback(failure));
      }) as typeof socket.send;
    });

    const err = await sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', port: 9, createSocket }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WakeOnLanError);
    expect((err as Error).message).toBe('could not send the Wake-on-LAN packet to 127.0.0.1:9: send EHOSTUNREACH 127.0.0.1:9');
    expect((err as Error).cause).toBe(failure);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]?.closed).toBe(true);
  });

  it('closes the socket when send throws synchronously', async () => {
    const { sockets, createSocket } = watchedSockets((socket) => {
      socket.send = (() => {
        throw new Error('boom');
      }) as typeof socket.send;
    });
    await expect(sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', port: 9, createSocket })).rejects.toThrow(/127\.0\.0\.1:9: boom/);
    expect(sockets[0]?.closed).toBe(true);
  });

  it('closes the socket when the caller aborts before the send completes', async () => {
    const controller = new AbortController();
    const { sockets, createSocket } = watchedSockets((socket) => {
      // A send that never completes; the abort must still end the call and close the socket.
      socket.send = (() => controller.abort(new Error('window closed'))) as typeof socket.send;
    });
    await expect(sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', port: 9, createSocket }, controller.signal)).rejects.toThrow(
      'window closed',
    );
    expect(sockets[0]?.closed).toBe(true);
  });

  it('opens no socket for an already aborted signal or bad input', async () => {
    const { sockets, createSocket } = watchedSockets();
    const aborted = AbortSignal.abort(new Error('stopped'));
    await expect(sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', port: 9, createSocket }, aborted)).rejects.toThrow('stopped');
    await expect(sendMagicPacket({ mac: 'bad', address: '127.0.0.1', port: 9, createSocket })).rejects.toThrow(/invalid MAC address/);
    await expect(sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', port: 0, createSocket })).rejects.toThrow(
      'invalid Wake-on-LAN port 0: expected 1..65535',
    );
    await expect(sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', port: 70000, createSocket })).rejects.toThrow(/port 70000/);
    // A host name would need DNS; only IPv4 literals are accepted (and nothing is sent here).
    await expect(sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: 'gaming-pc.local', port: 9, createSocket })).rejects.toThrow(
      /invalid Wake-on-LAN address "gaming-pc.local"/,
    );
    expect(sockets).toHaveLength(0);
  });

  it('defaults to UDP port 9 (discard)', async () => {
    expect(DEFAULT_WOL_PORT).toBe(9);
    // Port 9 is privileged to listen on, so the send is observed instead (still to loopback).
    const targets: { port: unknown; address: unknown }[] = [];
    const { sockets, createSocket } = watchedSockets((socket) => {
      socket.send = ((_msg: unknown, port: unknown, address: unknown, callback: (err: Error | null) => void) => {
        targets.push({ port, address });
        process.nextTick(() => callback(null));
      }) as typeof socket.send;
    });
    await sendMagicPacket({ mac: '00:1a:2b:3c:4d:5e', address: '127.0.0.1', createSocket });
    expect(targets).toEqual([{ port: 9, address: '127.0.0.1' }]);
    expect(sockets[0]?.closed).toBe(true);
  });
});
