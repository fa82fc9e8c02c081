/**
 * The latest facts about this node, as the probes report them, plus each probe's health. The single
 * in-memory owner of "what this machine is and runs": the API, the advert and later the scheduler
 * read from here and subscribe to `changed`.
 */
import type { Logger } from './kernel/log.js';
import { createEmitter, type Unsubscribe } from './kernel/events.js';
import { KIND_IDS, KINDS, perKind, type KindId } from './kernel/kinds.js';
import type { ActivityFacts, HardwareFacts, NetworkFacts, ProbeName, ProbeStatus, ServiceFacts } from './kernel/shapes/facts.js';
import type { ProbeOutcome } from './kernel/poll-loop.js';

export interface FactsSnapshot {
  hardware: HardwareFacts | null;
  activity: ActivityFacts | null;
  network: NetworkFacts | null;
  /** What each local service's probe found; null before its first run or when the kind is disabled. */
  services: Record<KindId, ServiceFacts | null>;
  probes: Record<ProbeName, ProbeStatus>;
}

type FactsValues = { hardware: HardwareFacts; activity: ActivityFacts; network: NetworkFacts } & Record<KindId, ServiceFacts>;

export interface NodeFacts {
  snapshot(): FactsSnapshot;
  /** Records a probe's outcome; returns nothing, emits `changed` when the facts differ. */
  record<K extends ProbeName>(probe: K, outcome: ProbeOutcome<FactsValues[K]>): void;
  onChanged(listener: (snapshot: FactsSnapshot, probe: ProbeName) => void): Unsubscribe;
}

const isKind = (probe: ProbeName): probe is KindId => (KIND_IDS as readonly string[]).includes(probe);

/** The value a probe last reported. */
function valueOf(state: FactsSnapshot, probe: ProbeName): unknown {
  return isKind(probe) ? state.services[probe] : state[probe];
}

const emptyStatus = (): ProbeStatus => ({ ok: null, error: null, lastRunAtMs: null, durationMs: null });

export function createNodeFacts(log: Logger): NodeFacts {
  let state: FactsSnapshot = {
    hardware: null,
    activity: null,
    network: null,
    services: perKind(() => null),
    probes: { hardware: emptyStatus(), activity: emptyStatus(), network: emptyStatus(), ...perKind(() => emptyStatus()) },
  };
  const events = createEmitter<{ changed: { snapshot: FactsSnapshot; probe: ProbeName } }>((err) =>
    log.error('facts listener failed', { error: String(err) }),
  );

  return {
    snapshot: () => state,
    record(probe, outcome) {
      const status: ProbeStatus = {
        ok: outcome.error === undefined,
        error: outcome.error ?? null,
        lastRunAtMs: outcome.startedAtMs,
        durationMs: Math.round(outcome.durationMs),
      };
      const next: FactsSnapshot = { ...state, probes: { ...state.probes, [probe]: status } };
      if (outcome.value !== undefined) {
        if (isKind(probe)) next.services = { ...state.services, [probe]: outcome.value };
        else (next as unknown as Record<ProbeName, unknown>)[probe] = outcome.value;
      }
      if (isKind(probe)) logServiceTransition(log, probe, state.services[probe], next.services[probe]);
      const changed = !sameIgnoringTimes(valueOf(state, probe), valueOf(next, probe)) || state.probes[probe].ok !== status.ok || state.probes[probe].error !== status.error;
      state = next;
      if (changed) events.emit('changed', { snapshot: state, probe });
    },
    onChanged: (listener) => events.on('changed', ({ snapshot, probe }) => listener(snapshot, probe)),
  };
}

/** Up/down of a local service is worth a log line; the same state again is not. */
function logServiceTransition(log: Logger, kind: KindId, prev: ServiceFacts | null, next: ServiceFacts | null): void {
  if (!next || prev?.state === next.state) return;
  const label = KINDS[kind].label;
  if (next.state === 'up') log.info(`${label} is up`, { url: next.url });
  else log.warn(`${label} is down`, { url: next.url, reason: next.reason });
}

/** Compares two facts values without their `checkedAtMs`, so a probe that finds nothing new is quiet. */
function sameIgnoringTimes(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, dropTimes) === JSON.stringify(b, dropTimes);
}
function dropTimes(key: string, value: unknown): unknown {
  return key === 'checkedAtMs' ? undefined : value;
}
