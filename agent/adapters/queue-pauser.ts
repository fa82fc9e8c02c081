/**
 * Pauses Immich's ML batch queues while no node may take batch work, and resumes them when one may
 * (DESIGN.md §1). Rule one: never resume a queue someone else paused. An admin who paused
 * `smartSearch` by hand meant it, so we only ever resume queues on our own list, and that list is
 * persisted. Immich's pause lives in Redis and survives Immich restarts (PROTOCOLS.md §3.5), so our
 * memory of it has to survive ours.
 *
 * Pause state always comes from a fresh status read (`isPaused`, §3.5), never from our list alone:
 * an admin may resume or pause a queue at any time.
 */
import type { Logger } from '../kernel/log.js';
import type { QueuePauser, QueueSyncResult } from '../../scheduler/actions.js';
import { ImmichApiError, type ImmichQueues, type ImmichQueueStatus } from './immich-queues.js';

export interface PausedByUsStore {
  /** The queues we paused and have not resumed yet. */
  load(): Promise<string[]>;
  save(pausedByUs: string[]): Promise<void>;
}

export interface QueuePauserOptions {
  client: ImmichQueues;
  /** The queues to hold while no batch node is offered (config `immich.batchQueues`). */
  queues: readonly string[];
  store: PausedByUsStore;
  log: Logger;
}

export const SKIP_PAUSED_BY_OTHERS = 'already paused by someone else; left alone';
export const SKIP_RESUMED_BY_OTHERS = 'resumed by someone else meanwhile; forgotten';

export function createQueuePauser(opts: QueuePauserOptions): QueuePauser {
  // Calls run one after the other: a resume overtaking a pause would otherwise interleave their
  // load/save of the list and lose an entry.
  let queue: Promise<unknown> = Promise.resolve();

  const skip = (result: QueueSyncResult, queueName: string, reason: string): void => {
    result.skipped.push({ queue: queueName, reason });
    opts.log.debug(`left Immich queue ${queueName} alone: ${reason}`);
  };

  const load = async (): Promise<string[]> => [...new Set(await opts.store.load())];

  const hold = async (signal?: AbortSignal): Promise<QueueSyncResult> => {
    const result: QueueSyncResult = { paused: [], resumed: [], skipped: [] };
    const ours = await load();
    const status = await opts.client.status(signal);
    for (const name of opts.queues) {
      signal?.throwIfAborted();
      const q: ImmichQueueStatus | undefined = status[name];
      if (q === undefined) {
        // e.g. `ocr` before Immich v2.2.0 (PROTOCOLS.md §3.4): nothing to pause there.
        skip(result, name, 'this Immich server has no such queue');
        continue;
      }
      if (q.paused) {
        if (!ours.includes(name)) skip(result, name, SKIP_PAUSED_BY_OTHERS);
        continue; // paused by us earlier: nothing to do
      }
      // Write ahead: remember the queue *before* pausing it. If the pause times out after Immich
      // applied it, or the process dies right after, the queue is still ours to resume; a
      // remembered queue that never got paused is simply forgotten on resume.
      const added = !ours.includes(name);
      if (added) {
        ours.push(name);
        await opts.store.save([...ours]);
      }
      try {
        await opts.client.pause(name, signal);
      } catch (err) {
        // An error status means Immich certainly did not pause it: take it off the list again, so
        // a human pausing it later is not mistaken for us.
        if (added && refused(err)) {
          ours.splice(ours.indexOf(name), 1);
          await opts.store.save([...ours]);
        }
        throw err;
      }
      result.paused.push(name);
      opts.log.info(`paused Immich queue ${name}`, { active: q.active, waiting: q.waiting });
    }
    return result;
  };

  const release = async (signal?: AbortSignal): Promise<QueueSyncResult> => {
    const result: QueueSyncResult = { paused: [], resumed: [], skipped: [] };
    const ours = await load();
    // Nothing of ours is paused: no request at all (the common repeated call).
    if (ours.length === 0) return result;
    const status = await opts.client.status(signal);
    // Every queue on our list, configured or not: a queue removed from `batchQueues` since we paused
    // it must still be resumed.
    for (const name of [...ours]) {
      signal?.throwIfAborted();
      const q = status[name];
      if (q?.paused === true) {
        await opts.client.resume(name, signal);
        result.resumed.push(name);
        opts.log.info(`resumed Immich queue ${name}`, { waiting: q.waiting });
      } else {
        skip(result, name, q === undefined ? 'this Immich server has no such queue; forgotten' : SKIP_RESUMED_BY_OTHERS);
      }
      // Forget after the resume succeeded: if saving fails now, the next call finds it running and
      // just forgets it.
      ours.splice(ours.indexOf(name), 1);
      await opts.store.save([...ours]);
    }
    return result;
  };

  return {
    setBatchAvailable(available, signal) {
      const run = queue.then(() => (available ? release(signal) : hold(signal)));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

/** Immich answered with an error status, so the request was not applied. */
function refused(err: unknown): boolean {
  return err instanceof ImmichApiError && err.status !== null && (err.status < 200 || err.status > 299);
}
