/**
 * Everything the agent takes from the outside world, in one object (DESIGN.md §6.3). main.ts
 * builds the real one; tests build theirs with fakes.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { Clock } from './kernel/clock.js';
import type { Exec } from './kernel/exec.js';
import type { Logger } from './kernel/log.js';
import type { MdnsOptions } from '../discovery/mdns.js';
import type { LookupHost } from '../discovery/peer-address.js';
import type { sendMagicPacket } from './adapters/wake-on-lan.js';
import type { HardwareSi } from './probe/hardware.js';

export interface AgentFs {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
}

export interface AgentDeps {
  clock: Clock;
  log: Logger;
  fetch: typeof fetch;
  exec: Exec;
  si: HardwareSi;
  fs: AgentFs;
  platform: NodeJS.Platform;
  /** The CPU architecture Node runs on (`process.arch`): the OS architecture in the hardware facts. */
  arch: string;
  networkInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  agentVersion: string;
  /** The machine's hostname, for the mDNS instance name. */
  hostname: string;
  /** Tailscale's LocalAPI (Linux); without it the `tailscale` CLI is used. */
  tailscaleLocalApi?: (signal: AbortSignal) => Promise<unknown>;
  /** The machine's IANA time zone: the default for offer windows and how times are shown. */
  timeZone: string;
  /** Sends Wake-on-LAN packets; tests capture them on loopback. The real one by default. */
  sendMagicPacket?: typeof sendMagicPacket;
  /** Wraps bonjour-service creation (tests); the real one by default. */
  createBonjour?: MdnsOptions['createBonjour'];
  /** Resolves host names of peers (static URLs); node:dns by default. */
  lookupHost?: LookupHost;
  pid: number;
  isProcessAlive: (pid: number) => boolean;
}
