/**
 * Shapes shared by `inference-mesh doctor` and its checks. Every check reads the world only through
 * `DoctorDeps` (DESIGN.md §6.3), so each one is tested with fakes and never with the real network.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { AgentConfig } from '../config-schema.js';
import type { Exec } from '../kernel/exec.js';

export type CheckStatus = 'ok' | 'warn' | 'problem' | 'skipped';

export interface CheckResult {
  /** Stable, for scripts reading `--json`: `agent-port`, `ollama-reachable`, ... */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, in one sentence. */
  detail: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
}

export type ListenProbeResult = 'free' | 'in-use' | 'denied';
export type ConnectProbeResult = 'open' | 'refused' | 'timeout';

export interface DoctorDeps {
  fetch: typeof fetch;
  exec: Exec;
  /** Reads a text file; rejects with an ENOENT-coded error when it does not exist. */
  readFile: (path: string) => Promise<string>;
  networkInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  platform: NodeJS.Platform;
  nowMs: () => number;
  /** Can this process listen on `host:port` right now? (agent/doctor/net-probes.ts) */
  netListenProbe: (port: number, host: string) => Promise<ListenProbeResult>;
  /** Does anything accept a TCP connection on `host:port`? (agent/doctor/net-probes.ts) */
  connectProbe: (host: string, port: number, timeoutMs: number) => Promise<ConnectProbeResult>;
  env: Readonly<Record<string, string | undefined>>;
  /** tailscaled's LocalAPI reader (Linux); without it the `tailscale` CLI is asked. */
  tailscaleLocalApi?: (signal: AbortSignal) => Promise<unknown>;
}

/** The configuration after loadConfig (flags > env > file > defaults). */
export type DoctorConfig = AgentConfig;

export type DoctorCheck = (config: DoctorConfig, deps: DoctorDeps) => Promise<CheckResult>;
