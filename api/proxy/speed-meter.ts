/**
 * Passive measurement by the node that serves (issue 15): for a request this node's own service
 * answers — a peer's relayed request (relay-handler.ts) or one of its own routed requests elected
 * to itself (a `local` target) — the answer's bytes pass through the taps on their way to the
 * client, and the sample goes into this node's speed book. Answers of other nodes are theirs to
 * measure, so a relayed answer is counted once, on the machine that did the work.
 * - Ollama inference paths (SPEED_TAP_PATHS): the figures Ollama sends (speed-tap.ts), per model;
 * - Immich ML `/predict`: the latency, per task (predict-tap.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../agent/kernel/clock.js';
import type { KindId } from '../../agent/kernel/kinds.js';
import type { SpeedSample, SpeedSource } from '../../agent/kernel/shapes/speed.js';
import type { SpeedSubject } from '../../scheduler/speed.js';
import type { AnswerMeter, Attempt } from './forward.js';
import { predictSampleOf, predictTaskOf } from './predict-tap.js';
import { createSpeedTap, SPEED_TAP_PATHS, speedSampleOf } from './speed-tap.js';

/** A request carrying this header is a `bench` measurement (the bench command sets it). */
export const BENCH_HEADER = 'x-inference-mesh-bench';

export type RecordSpeed = (subject: Omit<SpeedSubject, 'node'>, sample: SpeedSample) => void;

/** What the meter needs of a request, read before it is forwarded. */
export interface MeteredRequest {
  kind: KindId;
  /** The path on the service, without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The `meter` option of forwardWithFailover for one request. */
export type SpeedMeter = (req: MeteredRequest) => (attempt: Attempt) => AnswerMeter | null;

const unmeasured = (): null => null;

export function createSpeedMeter(deps: { clock: Clock; record: RecordSpeed }): SpeedMeter {
  const { clock } = deps;
  const ollama = (source: SpeedSource): AnswerMeter => {
    const tap = createSpeedTap({ nowMs: clock.monotonicMs });
    return {
      push: (chunk) => tap.push(chunk),
      end() {
        const reading = tap.end();
        const sample = speedSampleOf(reading, source, clock.nowMs());
        if (sample && reading.model !== null) deps.record({ kind: 'model', name: reading.model }, sample);
      },
    };
  };
  const predict = (task: string, source: SpeedSource): AnswerMeter => {
    const startedAtMs = clock.monotonicMs();
    return {
      push: () => undefined,
      end(status) {
        const sample = predictSampleOf({ startedAtMs, endedAtMs: clock.monotonicMs(), status, source, atMs: clock.nowMs() });
        if (sample) deps.record({ kind: 'task', name: task }, sample);
      },
    };
  };

  return (req) => {
    const source: SpeedSource = req.headers[BENCH_HEADER] === undefined ? 'traffic' : 'bench';
    const local = (make: () => AnswerMeter) => (attempt: Attempt): AnswerMeter | null => (attempt.target.via === 'local' ? make() : null);
    if (req.kind === 'ollama' && SPEED_TAP_PATHS.has(req.path)) return local(() => ollama(source));
    if (req.kind === 'immich-ml' && req.path === '/predict') {
      const contentType = req.headers['content-type'];
      const task = predictTaskOf(typeof contentType === 'string' ? contentType : undefined, req.body);
      return task === null ? unmeasured : local(() => predict(task, source));
    }
    return unmeasured;
  };
}
