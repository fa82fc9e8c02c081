/**
 * Builds one probe loop per fact source, each with its own interval (config.probes), all writing
 * into NodeFacts. Probes run on timers, never per request (issue 2 §4).
 */
import type { SettingsHolder } from './live-settings.js';
import type { AgentConfig } from './config-schema.js';
import type { AgentDeps } from './deps.js';
import type { NodeFacts } from './node-facts.js';
import { createGpuUtilizationReader, probeActivity } from './probe/activity.js';
import { createHardwareProbe } from './probe/hardware.js';
import { createNvidiaReader } from './probe/gpu-nvidia.js';
import { probeNetwork } from './probe/network.js';
import { SERVICE_PROBES } from './probe/services.js';
import { KIND_IDS } from './kernel/kinds.js';
import { createProbeLoop, type ProbeLoop } from './kernel/poll-loop.js';
import { listProcessNames } from './probe/processes.js';

export interface Probes {
  /** Every probe loop, in start order. */
  all: ProbeLoop[];
  /** The loops of the local services (enabled kinds only): re-run when their settings change. */
  services: ProbeLoop[];
}

export function createProbes(config: AgentConfig, settings: SettingsHolder, deps: AgentDeps, facts: NodeFacts): Probes {
  const common = { clock: deps.clock, timeoutMs: config.probes.timeoutMs };
  const log = deps.log.child('probe');
  const nowMs = deps.clock.nowMs;
  // One NVIDIA reader for both probes: an absent nvidia-smi is remembered once for both.
  const nvidia = createNvidiaReader({ exec: deps.exec, platform: deps.platform, nowMs });
  const probeHardware = createHardwareProbe({ si: deps.si, exec: deps.exec, fs: deps.fs, platform: deps.platform, arch: deps.arch, nvidia });
  const loops: ProbeLoop[] = [
    createProbeLoop({
      ...common,
      name: 'hardware',
      log: log.child('hardware'),
      intervalMs: config.probes.hardwareIntervalSec * 1000,
      run: probeHardware,
      onOutcome: (o) => facts.record('hardware', o),
    }),
    createProbeLoop({
      ...common,
      name: 'network',
      log: log.child('network'),
      intervalMs: config.probes.networkIntervalSec * 1000,
      run: async () => probeNetwork(deps.networkInterfaces),
      onOutcome: (o) => facts.record('network', o),
    }),
  ];
  const readGpuUtilization = createGpuUtilizationReader({ exec: deps.exec, fs: deps.fs, platform: deps.platform, nowMs, nvidia });
  loops.push(
    createProbeLoop({
      ...common,
      name: 'activity',
      log: log.child('activity'),
      intervalMs: config.probes.activityIntervalSec * 1000,
      run: (signal) =>
        probeActivity(
          {
            listProcessNames: (s) => listProcessNames({ platform: deps.platform, exec: deps.exec, fs: deps.fs }, s),
            readGpuUtilization,
            nowMs,
            log: log.child('activity'),
          },
          settings.current().offer.notWhile.processes,
          signal,
        ),
      onOutcome: (o) => facts.record('activity', o),
    }),
  );
  const services: ProbeLoop[] = [];
  for (const kind of KIND_IDS) {
    if (!config.services[kind].enabled) continue;
    services.push(
      createProbeLoop({
        ...common,
        name: kind,
        log: log.child(kind),
        intervalMs: config.probes.servicesIntervalSec * 1000,
        run: (signal) => SERVICE_PROBES[kind]({ fetch: deps.fetch, nowMs }, settings.current().services[kind].url, signal),
        onOutcome: (o) => facts.record(kind, o),
      }),
    );
  }
  return { all: [...loops, ...services], services };
}
