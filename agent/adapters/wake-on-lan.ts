/**
 * Wake-on-LAN: wakes a sleeping GPU machine when its window opens (DESIGN.md §1), by sending it an
 * AMD "Magic Packet" over UDP.
 *
 * Format (AMD white paper "Magic Packet Technology", publication #20213, 1995): the NIC scans any
 * frame for a synchronisation stream of six 0xFF bytes followed by the 48-bit MAC address repeated
 * sixteen times, 102 bytes in all. The payload may ride in any frame; UDP to port 9 ("discard",
 * RFC 863) or 7 is the de-facto convention (wakeonlan, etherwake -b, systemd's wol tooling).
 *
 * The machine is asleep, so it has no ARP entry to unicast to: the packet goes to a broadcast
 * address. 255.255.255.255 (limited broadcast, RFC 919 §7) stays on the sending host's link; a
 * subnet-directed broadcast like 192.168.1.255 reaches a chosen subnet on multi-homed hosts.
 * Tests send only to 127.0.0.1 (DESIGN.md §7: WoL packets never leave the machine in tests).
 */
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { AgentError } from '../kernel/errors.js';

/** UDP "discard" port (RFC 863), the usual Wake-on-LAN destination. */
export const DEFAULT_WOL_PORT = 9;

const MAC_BYTES = 6;
const REPEATS = 16;
export const MAGIC_PACKET_BYTES = MAC_BYTES + MAC_BYTES * REPEATS; // 102

// The four spellings people paste from `ip link` (colons), Windows `getmac` (hyphens), Cisco IOS
// (dotted triplets) and vendor stickers (bare hex). Mixed separators are rejected on purpose: they
// are typos more often than intent.
const MAC_FORMATS: readonly RegExp[] = [
  /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i,
  /^[0-9a-f]{2}(?:-[0-9a-f]{2}){5}$/i,
  /^[0-9a-f]{4}(?:\.[0-9a-f]{4}){2}$/i,
  /^[0-9a-f]{12}$/i,
];

/** A MAC address or a send target that cannot be used. */
export class WakeOnLanError extends AgentError {
  constructor(message: string, opts: { cause?: unknown; httpStatus?: number } = {}) {
    super('wake_on_lan_failed', message, opts);
  }
}

/** The 6 bytes of a MAC address in any of the accepted spellings; throws for anything else. */
export function parseMac(mac: string): Buffer {
  if (!MAC_FORMATS.some((re) => re.test(mac))) {
    throw new WakeOnLanError(
      `invalid MAC address ${JSON.stringify(mac)}: expected six hex bytes as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff`,
      { httpStatus: 400 },
    );
  }
  return Buffer.from(mac.replace(/[:.-]/g, ''), 'hex');
}

/** 6 × 0xFF, then the MAC 16 times (AMD #20213). */
export function magicPacket(mac: string): Buffer {
  const bytes = parseMac(mac);
  const packet = Buffer.alloc(MAGIC_PACKET_BYTES, 0xff);
  for (let i = 0; i < REPEATS; i++) bytes.copy(packet, MAC_BYTES + i * MAC_BYTES);
  return packet;
}

export interface SendMagicPacketOptions {
  mac: string;
  /** IPv4 broadcast address, e.g. 255.255.255.255 or 192.168.1.255 (127.0.0.1 in tests). */
  address: string;
  /** UDP port; default 9. */
  port?: number;
  /** Injected so tests can wrap the real socket and watch it close; default node:dgram. */
  createSocket?: (type: 'udp4') => dgram.Socket;
}

/**
 * Sends one magic packet. The socket is closed before this settles, whatever happened (bind or
 * send error, abort). WoL has no acknowledgement: success means "handed to the kernel"; whether the
 * machine woke is seen later, when its agent reappears in discovery.
 */
export async function sendMagicPacket(opts: SendMagicPacketOptions, signal?: AbortSignal): Promise<void> {
  // Validate before opening anything, so bad config never leaves a socket behind.
  const packet = magicPacket(opts.mac);
  const port = opts.port ?? DEFAULT_WOL_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new WakeOnLanError(`invalid Wake-on-LAN port ${port}: expected 1..65535`, { httpStatus: 400 });
  }
  // An IPv4 literal only: a host name would need a DNS lookup, and a udp4 socket cannot reach IPv6.
  if (!isIPv4(opts.address)) {
    throw new WakeOnLanError(`invalid Wake-on-LAN address ${JSON.stringify(opts.address)}: expected an IPv4 broadcast address such as 255.255.255.255`, {
      httpStatus: 400,
    });
  }
  signal?.throwIfAborted();

  const socket = (opts.createSocket ?? dgram.createSocket)('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason as Error);
      const fail = (err: unknown): void => {
        signal?.removeEventListener('abort', onAbort);
        reject(sendError(err, opts.address, port));
      };
      const sent = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Stays attached until close: an 'error' event without a listener would crash the daemon.
      socket.on('error', fail);
      // Port 0: any free source port. setBroadcast needs a bound socket (EBADF otherwise).
      socket.bind(0, () => {
        try {
          // SO_BROADCAST: without it the kernel refuses broadcast destinations with EACCES
          // (socket(7)). Loopback needs none, so tests exercise the plain send path.
          if (!opts.address.startsWith('127.')) socket.setBroadcast(true);
          socket.send(packet, port, opts.address, (err) => (err ? fail(err) : sent()));
        } catch (err) {
          fail(err);
        }
      });
    });
  } finally {
    await closeSocket(socket);
  }
}

function sendError(err: unknown, address: string, port: number): WakeOnLanError {
  const code = (err as { code?: unknown } | null)?.code;
  const why = err instanceof Error ? err.message : String(err);
  const hint = code === 'EACCES' ? ' (broadcast not permitted on this socket/interface)' : '';
  return new WakeOnLanError(`could not send the Wake-on-LAN packet to ${address}:${port}: ${why}${hint}`, { cause: err });
}

/** Resolves once the socket has closed; closing an already closed socket is not an error here. */
function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // ERR_SOCKET_DGRAM_NOT_RUNNING: it was closed already.
      resolve();
    }
  });
}
