import { describe, expect, it } from 'vitest';
import { createProbeLoop, type ProbeOutcome } from '../../../agent/kernel/poll-loop.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function setup(run: (signal: AbortSignal, n: number) => Promise<string>, opts: { intervalMs?: number; timeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const { log, records } = captureLog();
  const outcomes: ProbeOutcome<string>[] = [];
  let calls = 0;
  const loop = createProbeLoop<string>({
    name: 'test',
    intervalMs: opts.intervalMs ?? 10_000,
    timeoutMs: opts.timeoutMs ?? 1000,
    jitterRatio: 0,
    clock,
    log,
    run: (signal) => run(signal, ++calls),
    onOutcome: (o) => outcomes.push(o),
  });
  return { clock, loop, outcomes, records, calls: () => calls };
}

const start = (loop: { start(signal: AbortSignal): Promise<void> }) => loop.start(new AbortController().signal);

describe('probe loop', () => {
  it('runs at start, then once per interval, measured from the end of the last run', async () => {
    const { clock, loop, outcomes } = setup(async (_s, n) => `run ${n}`);
    await start(loop);
    await clock.advance(0);
    expect(outcomes.map((o) => o.value)).toEqual(['run 1']);
    await clock.advance(9_999);
    expect(outcomes).toHaveLength(1);
    await clock.advance(1);
    expect(outcomes.map((o) => o.value)).toEqual(['run 1', 'run 2']);
    await clock.advance(20_000);
    expect(outcomes).toHaveLength(4);
    await loop.stop();
  });

  it('a failing run is reported and the loop goes on; the same error is logged once', async () => {
    const { clock, loop, outcomes, records } = setup(async (_s, n) => {
      if (n <= 3) throw new Error('sensor unplugged');
      return 'fine';
    });
    await start(loop);
    await clock.advance(30_000);
    expect(outcomes.map((o) => o.error ?? o.value)).toEqual(['sensor unplugged', 'sensor unplugged', 'sensor unplugged', 'fine']);
    expect(records.filter((r) => r.message === 'probe failed')).toHaveLength(1);
    expect(records.filter((r) => r.message === 'probe recovered')).toHaveLength(1);
    await loop.stop();
  });

  it('a run that hangs times out, is reported, and does not stop the schedule', async () => {
    const { clock, loop, outcomes } = setup((_signal, n) => (n === 1 ? new Promise<string>(() => undefined) : Promise.resolve('ok')), {
      timeoutMs: 500,
    });
    await start(loop);
    await clock.advance(500);
    expect(outcomes[0]?.error).toBe('ETIMEDOUT no answer within 500 ms');
    await clock.advance(10_000);
    expect(outcomes[1]?.value).toBe('ok');
    await loop.stop();
  });

  it('never overlaps runs: runNow during a run waits for that run', async () => {
    let release: () => void = () => undefined;
    const { clock, loop, calls } = setup(() => new Promise<string>((resolve) => (release = () => resolve('x'))), { timeoutMs: 60_000 });
    await start(loop);
    const again = loop.runNow();
    expect(calls()).toBe(1);
    release();
    await again;
    await clock.advance(0);
    expect(calls()).toBe(1);
    await loop.stop();
  });

  it('stop() cancels the timer, aborts a run in flight, leaves nothing armed and is idempotent', async () => {
    let seen: AbortSignal | undefined;
    const { clock, loop, outcomes } = setup((signal) => {
      seen = signal;
      return new Promise<string>(() => undefined);
    });
    await start(loop);
    expect(clock.pendingTimers()).toBe(1); // the run's timeout
    await loop.stop();
    expect(seen?.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    expect(outcomes).toHaveLength(0); // nothing reported after stop
    await loop.stop();
    await clock.advance(60_000);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('start with an aborted signal does nothing', async () => {
    const { clock, loop, calls } = setup(async () => 'x');
    const ac = new AbortController();
    ac.abort();
    await loop.start(ac.signal);
    await clock.advance(60_000);
    expect(calls()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
