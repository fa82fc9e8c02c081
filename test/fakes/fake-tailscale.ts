/**
 * Faithful stand-ins for Tailscale (PROTOCOLS.md §4): a realistic `ipnstate.Status`, the CLI
 * `tailscale status --json` as an `Exec`, and tailscaled's LocalAPI on a real unix socket with its
 * Host/Origin/Referer guard. Tailscale cannot be installed here (TOOLCHAIN.md), so these are the
 * only tailscale the tests see; they must not be easier than the real thing.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import { ExecError, type Exec } from '../../agent/kernel/exec.js';
import type { ExecCall } from './io.js';

export interface FakeTailnetNode {
  hostName: string;
  /** Stable node id; derived from the host name when omitted. */
  id?: string;
  os?: string;
  online?: boolean;
  /** Only tagged nodes have the field (Go `omitempty`). */
  tags?: string[];
  /** `null` leaves the family out; derived from the host name when omitted. */
  ipv4?: string | null;
  ipv6?: string | null;
  /** List the IPv6 address first ("don't rely on order", §4.3). */
  ipv6First?: boolean;
  /** Defaults to `<hostName>.<suffix>.` (trailing dot, §4.3). */
  dnsName?: string;
  sharee?: boolean;
}

export interface FakeTailscaleStatusOptions {
  backendState?: string;
  magicDnsSuffix?: string;
  self?: FakeTailnetNode;
  peers?: FakeTailnetNode[];
}

/** A small home lab: tags, an offline machine, an IPv6-first listing and a phone. */
export const defaultFakePeers: FakeTailnetNode[] = [
  { hostName: 'mac-mini', os: 'macOS', tags: ['tag:ollama'], ipv6First: true },
  { hostName: 'gpu-2', os: 'linux', tags: ['tag:gpu', 'tag:ollama'] },
  { hostName: 'nas', os: 'linux' },
  { hostName: 'old-laptop', os: 'windows', online: false, ipv6: null },
  { hostName: 'pixel-7', os: 'android' },
];

const zeroTime = '0001-01-01T00:00:00Z';
const ownerId = 123456789;
const taggedId = 5123456;
const hex = (seed: string): string => createHash('sha256').update(seed).digest('hex');

/** Derived, stable identifiers for a node, as tailscaled would show them. */
export function fakeNodeIds(node: FakeTailnetNode): { id: string; nodeKey: string; ipv4: string | null; ipv6: string | null } {
  const h = hex(node.hostName);
  const byte = (i: number): number => parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return {
    id: node.id ?? `n${h.slice(0, 11)}CNTRL`,
    nodeKey: `nodekey:${h}`,
    ipv4: node.ipv4 === undefined ? `100.${64 + (byte(0) % 64)}.${byte(1)}.${1 + (byte(2) % 254)}` : node.ipv4,
    ipv6: node.ipv6 === undefined ? `fd7a:115c:a1e0::${h.slice(3, 7)}:${h.slice(7, 11)}` : node.ipv6,
  };
}

function peerStatus(node: FakeTailnetNode, suffix: string, isSelf: boolean): Record<string, unknown> {
  const { id, nodeKey, ipv4, ipv6 } = fakeNodeIds(node);
  const v4 = ipv4 === null ? [] : [ipv4];
  const v6 = ipv6 === null ? [] : [ipv6];
  const ips = node.ipv6First ? [...v6, ...v4] : [...v4, ...v6];
  const online = node.online ?? true;
  const tagged = (node.tags ?? []).length > 0;
  // Field order and nil-as-null follow the Go struct (PROTOCOLS.md §4.3); omitempty fields are left out.
  return {
    ID: id,
    PublicKey: nodeKey,
    HostName: node.hostName,
    DNSName: node.dnsName ?? `${node.hostName}.${suffix}.`,
    OS: node.os ?? 'linux',
    UserID: tagged ? taggedId : ownerId,
    TailscaleIPs: ips.length > 0 ? ips : null,
    AllowedIPs: ips.map((ip) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`)),
    ...(tagged ? { Tags: node.tags } : {}),
    Addrs: isSelf || !online ? null : [`192.168.1.${20 + (parseInt(hex(node.hostName).slice(0, 2), 16) % 200)}:41641`],
    CurAddr: '',
    Relay: 'fra',
    PeerRelay: '',
    RxBytes: online && !isSelf ? 91_532 : 0,
    TxBytes: online && !isSelf ? 48_816 : 0,
    Created: '2025-01-10T09:00:00Z',
    LastWrite: online && !isSelf ? '2026-11-22T11:59:41.123456789Z' : zeroTime,
    LastSeen: online ? zeroTime : '2026-08-01T12:34:56Z',
    LastHandshake: online && !isSelf ? '2026-11-22T11:58:02.5Z' : zeroTime,
    Online: online,
    ExitNode: false,
    ExitNodeOption: false,
    Active: online && !isSelf,
    PeerAPIURL: online && v4[0] !== undefined ? [`http://${v4[0]}:38491`] : null,
    TaildropTarget: 0,
    NoFileSharingReason: '',
    ...(isSelf ? { Capabilities: ['https://tailscale.com/cap/file-sharing'], CapMap: { 'https://tailscale.com/cap/file-sharing': null } } : {}),
    ...(node.sharee ? { ShareeNode: true } : {}),
    InNetworkMap: true,
    InMagicSock: !isSelf,
    InEngine: !isSelf,
    KeyExpiry: '2027-05-09T09:00:00Z',
  };
}

/**
 * A full status as tailscaled builds it. `NeedsLogin`/`NoState` give the logged-out shape: `Self`,
 * `Peer` and `TailscaleIPs` null, an `AuthURL` for NeedsLogin.
 *
 * @example
 * fakeTailscaleStatus({ peers: [{ hostName: 'gpu-2', tags: ['tag:ollama'] }] })
 */
export function fakeTailscaleStatus(opts: FakeTailscaleStatusOptions = {}): Record<string, unknown> {
  const state = opts.backendState ?? 'Running';
  const suffix = opts.magicDnsSuffix ?? 'tail1a2b3c.ts.net';
  const self = opts.self ?? { hostName: 'gpu-box' };
  const loggedOut = state === 'NeedsLogin' || state === 'NoState';
  const peers = opts.peers ?? defaultFakePeers;
  const selfStatus = peerStatus(self, suffix, true);
  const peerMap: Record<string, unknown> = {};
  // Go marshals map keys sorted.
  for (const p of [...peers].sort((a, b) => fakeNodeIds(a).nodeKey.localeCompare(fakeNodeIds(b).nodeKey))) {
    peerMap[fakeNodeIds(p).nodeKey] = peerStatus(p, suffix, false);
  }
  return {
    Version: '1.102.3-t1234abcd-g5678ef90',
    TUN: true,
    BackendState: state,
    HaveNodeKey: !loggedOut,
    AuthURL: state === 'NeedsLogin' ? 'https://login.tailscale.com/a/1a2b3c4d5e6f7' : '',
    TailscaleIPs: loggedOut ? null : selfStatus.TailscaleIPs,
    Self: loggedOut ? null : selfStatus,
    Health: loggedOut ? ['You are logged out. The last login error was: no auth key'] : [],
    MagicDNSSuffix: loggedOut ? '' : suffix,
    CurrentTailnet: loggedOut ? null : { Name: 'user@example.com', MagicDNSSuffix: suffix, MagicDNSEnabled: true },
    CertDomains: loggedOut ? null : [`${self.hostName}.${suffix}`],
    Peer: loggedOut ? null : peerMap,
    User: loggedOut
      ? null
      : {
          [String(ownerId)]: { ID: ownerId, LoginName: 'user@example.com', DisplayName: 'User', ProfilePicURL: '' },
          [String(taggedId)]: { ID: taggedId, LoginName: 'tagged-devices', DisplayName: 'Tagged Devices', ProfilePicURL: '' },
        },
    ClientVersion: { RunningLatest: true },
  };
}

/** encoding/json output: HTML-escaped <, >, & and U+2028/9, as Go does and JSON.stringify does not. */
export function goJsonIndent(value: unknown, indent: string): string {
  return JSON.stringify(value, null, indent).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What the Linux CLI prints (exit 1) when tailscaled is not running (cmd/tailscale/cli, fixTailscaledConnectError). */
export function tailscaledNotRunning(file = 'tailscale'): ExecError {
  const text = "failed to connect to local tailscaled; it doesn't appear to be running (sudo systemctl start tailscaled ?)";
  return new ExecError('EXIT', `${file} failed: ${text}`, `${text}\n`);
}

/**
 * The CLI as an `Exec`. `installedAt` lists the program names that exist (default `tailscale` and
 * `tailscale.exe`); `getStatus` may return 'missing' (not installed at all → ENOENT) or an Error
 * to reject with. Output is `json.MarshalIndent(st, "", "  ")` printed without a newline (status.go).
 */
export function createFakeTailscaleExec(
  getStatus: () => object | Error | 'missing',
  opts: { installedAt?: readonly string[] } = {},
): Exec & { calls: ExecCall[] } {
  const installedAt = opts.installedAt ?? ['tailscale', 'tailscale.exe'];
  const calls: ExecCall[] = [];
  const exec: Exec = async (file, args, execOpts) => {
    calls.push({ file, args, opts: execOpts });
    if (execOpts.signal?.aborted) throw execOpts.signal.reason as Error;
    const status = getStatus();
    if (status === 'missing' || !installedAt.includes(file)) throw new ExecError('ENOENT', `${file} not found`);
    if (status instanceof Error) throw status;
    const [cmd, ...flags] = args;
    const peers = !flags.includes('--peers=false');
    if (cmd !== 'status' || !flags.includes('--json') || flags.some((f) => f !== '--json' && f !== '--peers=false')) {
      throw new ExecError('EXIT', `${file} failed: the fake tailscale only knows 'status --json [--peers=false]'`);
    }
    return { stdout: goJsonIndent(peers ? status : { ...status, Peer: null }, '  '), stderr: '' };
  };
  return Object.assign(exec, { calls });
}

export interface FakeTailscaledRequest {
  method: string;
  url: string;
  host: string | undefined;
  status: number;
}

export interface FakeTailscaled {
  readonly socketPath: string;
  readonly requests: FakeTailscaledRequest[];
  setStatus(status: object): void;
  /** Answer status with 403 `status access denied`, as for a connection without read permission (§4.2). */
  denyRead(deny: boolean): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** tailscaled's LocalAPI on a unix socket: GET /localapi/v0/status and the request guard of §4.2. */
export function createFakeTailscaled(socketPath: string, initial: object = fakeTailscaleStatus()): FakeTailscaled {
  let status = initial;
  let deny = false;
  const requests: FakeTailscaledRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const host = req.headers.host;
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', host, status: code });
      res.writeHead(code, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' });
      res.end(body);
    };
    // ipn/localapi ServeHTTP: any Referer or Origin, or a Host other than "" / local-tailscaled.sock.
    if (req.headers.referer !== undefined || req.headers.origin !== undefined || (host !== '' && host !== 'local-tailscaled.sock')) {
      send(403, 'invalid localapi request\n');
      return;
    }
    res.setHeader('Tailscale-Version', '1.102.3-t1234abcd-g5678ef90');
    res.setHeader('Tailscale-Cap', '130');
    const url = new URL(req.url ?? '/', 'http://local-tailscaled.sock');
    if (url.pathname !== '/localapi/v0/status') {
      send(404, '404 page not found\n');
      return;
    }
    if (deny) {
      send(403, 'status access denied\n');
      return;
    }
    // serveStatus: json.Encoder with SetIndent("", "\t"), which ends with a newline.
    const body = url.searchParams.get('peers') === 'false' ? { ...status, Peer: null } : status;
    send(200, `${goJsonIndent(body, '\t')}\n`, 'application/json');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    socketPath,
    requests,
    setStatus: (s) => void (status = s),
    denyRead: (d) => void (deny = d),
    start: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    async stop() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await rm(socketPath, { force: true });
    },
  };
}
