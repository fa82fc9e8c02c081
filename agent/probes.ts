/**
 * Builds one probe loop per fact source, each with its own interval (config.probes), all writing
 * into NodeFacts. Probes run on timers, never per request (issue 2 §4).
 */
import type { AgentConfig } from './config-schema.js';
import type { AgentDeps } from './deps.js';
import type { NodeFacts } from './node-facts.js';
import { createGpuUtilizationReader, probeActivity } from './probe/activity.js';
import { probeHardware } from './probe/hardware.js';
import { probeImmichMl } from './probe/immich-ml.js';
import { probeNetwork } from './probe/network.js';
import { probeOllama } from './probe/ollama.js';
import { createProbeLoop, type ProbeLoop } from './kernel/poll-loop.js';
import { listProcessNames } from './probe/processes.js';

export function createProbes(config: AgentConfig, deps: AgentDeps, facts: NodeFacts): ProbeLoop[] {
  const common = { clock: deps.clock, timeoutMs: config.probes.timeoutMs };
  const log = deps.log.child('probe');
  const nowMs = deps.clock.nowMs;
  const loops: ProbeLoop[] = [
    createProbeLoop({
      ...common,
      name: 'hardware',
      log: log.child('hardware'),
      intervalMs: config.probes.hardwareIntervalSec * 1000,
      run: (signal) => probeHardware({ si: deps.si, exec: deps.exec, fs: deps.fs, platform: deps.platform }, signal),
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
  const readGpuUtilization = createGpuUtilizationReader({ exec: deps.exec, fs: deps.fs, platform: deps.platform });
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
          config.offer.notWhile.processes,
          signal,
        ),
      onOutcome: (o) => facts.record('activity', o),
    }),
  );
  if (config.services.ollama.enabled) {
    loops.push(
      createProbeLoop({
        ...common,
        name: 'ollama',
        log: log.child('ollama'),
        intervalMs: config.probes.servicesIntervalSec * 1000,
        run: (signal) => probeOllama({ fetch: deps.fetch, nowMs }, config.services.ollama.url, signal),
        onOutcome: (o) => facts.record('ollama', o),
      }),
    );
  }
  if (config.services.immichMl.enabled) {
    loops.push(
      createProbeLoop({
        ...common,
        name: 'immichMl',
        log: log.child('immich-ml'),
        intervalMs: config.probes.servicesIntervalSec * 1000,
        run: (signal) => probeImmichMl({ fetch: deps.fetch, nowMs }, config.services.immichMl.url, signal),
        onOutcome: (o) => facts.record('immichMl', o),
      }),
    );
  }
  return loops;
}
