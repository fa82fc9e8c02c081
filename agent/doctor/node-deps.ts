/**
 * The real `DoctorDeps`, built by main.ts. It takes `env` and `platform` as arguments because only
 * main.ts touches `process` (DESIGN.md §6.2).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { createLocalApiReader } from '../../discovery/tailscale-client.js';
import { systemClock } from '../kernel/clock.js';
import { createNodeExec } from '../exec-node.js';
import { connectProbe, netListenProbe } from './net-probes.js';
import type { DoctorDeps } from './types.js';

export function createNodeDoctorDeps(opts: { env: Readonly<Record<string, string | undefined>>; platform: NodeJS.Platform }): DoctorDeps {
  return {
    fetch,
    exec: createNodeExec({ env: opts.env, platform: opts.platform }),
    readFile: (p) => readFile(p, 'utf8'),
    networkInterfaces: os.networkInterfaces,
    platform: opts.platform,
    nowMs: systemClock.nowMs,
    netListenProbe,
    connectProbe,
    env: opts.env,
    // Same choice as the agent (main.ts): tailscaled's socket on Linux, the CLI elsewhere.
    ...(opts.platform === 'linux' ? { tailscaleLocalApi: createLocalApiReader() } : {}),
  };
}
