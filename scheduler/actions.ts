/**
 * Actions on placement transitions (issue 4 §5), each logged, retried with backoff and recorded in
 * history; a failing action never takes the agent down.
 * - this node leaves eligibility for a kind that can unload (Ollama; window closes, game starts):
 *   unload its models so the game gets the VRAM — the node itself does it, so it works even when
 *   the hub is away;
 * - this node becomes eligible: preload the configured warm-up models;
 * - batch work (Immich ML) has no node / has one again: pause / resume the ML queues (hub only);
 * - a sleeping node's window opens: Wake-on-LAN (scheduler/waker.ts).
 * The effects themselves are adapters (agent/adapters/), injected: this file only decides when.
 */
import type { Clock } from '../agent/kernel/clock.js';
import { describeError } from '../agent/kernel/errors.js';
import type { Unsubscribe } from '../agent/kernel/events.js';
import type { History } from './history-schema.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import type { Candidate, Placement } from './placement-view.js';
import type { Elector } from './elector.js';
import type { HistoryEntry } from './history-schema.js';
import { ALL_KINDS, type KindId } from '../agent/kernel/kinds.js';
import { GONE_CODES } from '../agent/kernel/shapes/reason.js';
import { retryWithBackoff } from './retry.js';

export interface ActionsOptions {
  selfId: string;
  elector: Elector;
  history: History;
  clock: Clock;
  log: Logger;
  /** The local services' model control, for the kinds that can unload and are enabled here. */
  models: Partial<Record<KindId, ModelControl>>;
  /** Unload this node's models when the owner takes it back (game, GPU load, window, `offer out`), GPU seen or not. */
  unloadOnLeave: boolean;
  warmUpModels: readonly string[];
  /** Set on the node that talks to Immich (the hub). */
  queuePauser: QueuePauser | null;
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /**
   * Right after start the registry knows only the peers that answered so far: queues are not touched
   * until every peer known from the last run has answered (`peersAnswered`) or this has passed, so a
   * restart of the hub does not pause and resume them in a blink (issue 12).
   */
  settleMs?: number;
  /** True once every peer known at start has answered since (checked at each placement change). */
  peersAnswered?: () => boolean;
}

/** Unloads and preloads the models of one local service (agent/adapters/ollama-models.ts for Ollama). */
export interface ModelControl {
  /** Unloads every loaded model; resolves with their names. */
  unloadAll(signal: AbortSignal): Promise<string[]>;
  preload(models: readonly string[], signal: AbortSignal): Promise<{ loaded: string[]; missing: string[] }>;
}

export interface QueueSyncResult {
  /** Queues this call paused. */
  paused: string[];
  /** Queues this call resumed. */
  resumed: string[];
  /** Queues left as they were, and why. */
  skipped: { queue: string; reason: string }[];
}

/** Pauses and resumes the batch queues of the kind with batch work (agent/adapters/queue-pauser.ts). */
export interface QueuePauser {
  /**
   * `false`: pause every configured queue that is running (and remember it); `true`: resume the
   * queues we paused. Safe to repeat: a second call with the same value only reads the status.
   * Errors propagate; the caller retries, and a retry picks up where the failed call stopped.
   */
  setBatchAvailable(available: boolean, signal?: AbortSignal): Promise<QueueSyncResult>;
}

/** Why this node stopped serving, when that is the owner's doing (not "it is gone", nor a pin elsewhere). */
function ownerReason(c: Candidate): boolean {
  const code = c.why.code === 'pin-waiting' ? c.why.params.because.code : c.why.code;
  return !GONE_CODES.has(code) && code !== 'no-model';
}

export function createActions(opts: ActionsOptions): Service {
  const retry = opts.retry ?? { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 };
  let abort: AbortController | null = null;
  let off: Unsubscribe | null = null;
  const inFlight = new Set<Promise<void>>();
  let batchAvailable: boolean | null = null;
  let settled = false;
  let cancelSettle: (() => void) | null = null;

  const record = (entry: Omit<HistoryEntry, 'atMs'>): void => opts.history.add(entry);

  /** Runs one action with retries; the outcome goes to the log and history, never up the stack. */
  const act = (
    action: NonNullable<HistoryEntry['action']>,
    what: string,
    meta: Pick<HistoryEntry, 'kind' | 'nodeId' | 'nodeName'>,
    fn: (signal: AbortSignal) => Promise<string>,
    onFailed?: () => void,
  ): void => {
    const signal = abort?.signal;
    if (!signal) return;
    const run = retryWithBackoff((_attempt, s) => fn(s), {
      clock: opts.clock,
      ...retry,
      signal,
      onRetry: (attempt, err, delayMs) => {
        opts.log.warn(`${what} failed; retrying`, { attempt, error: describeError(err), delayMs });
        record({ ...meta, type: 'action', action, status: 'retrying', message: `${what} failed (attempt ${attempt}): ${describeError(err)}` });
      },
    }).then(
      (message) => {
        opts.log.info(message);
        record({ ...meta, type: 'action', action, status: 'ok', message });
      },
      (err: unknown) => {
        if (signal.aborted) return;
        opts.log.error(`${what} failed`, { error: describeError(err) });
        record({ ...meta, type: 'action', action, status: 'failed', message: `${what} failed: ${describeError(err)}` });
        onFailed?.();
      },
    );
    const tracked = run.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const self = (p: Placement | null, kind: KindId): Candidate | undefined => p?.kinds[kind].candidates.find((c) => c.nodeId === opts.selfId);

  const onChange = (next: Placement, prev: Placement | null): void => {
    recordPlacement(next, prev);
    for (const d of ALL_KINDS) {
      const control = opts.models[d.id];
      if (!control || !d.traits.canUnload) continue;
      const before = self(prev, d.id);
      const now = self(next, d.id);
      const meta = { kind: d.id, nodeId: opts.selfId, nodeName: now?.name ?? null };
      if (opts.unloadOnLeave && before?.eligible && now && !now.eligible && ownerReason(now)) {
        act('unload', `unloading ${d.label} models (${now.reason})`, meta, async (signal) => {
          const names = await control.unloadAll(signal);
          return names.length ? `unloaded ${names.join(', ')} to free VRAM: ${now.reason}` : `no ${d.label} model was loaded (${now.reason})`;
        });
      }
      if (opts.warmUpModels.length > 0 && before && !before.eligible && now?.eligible) {
        act('warm-up', `warming up ${d.label} models`, meta, async (signal) => {
          const r = await control.preload(opts.warmUpModels, signal);
          return `preloaded ${r.loaded.join(', ') || 'nothing'}${r.missing.length ? `; not on this node: ${r.missing.join(', ')}` : ''}`;
        });
      }
    }
    if (!settled && opts.peersAnswered?.()) settle();
    else if (settled) syncQueues(next);
  };

  const settle = (): void => {
    cancelSettle?.();
    cancelSettle = null;
    settled = true;
    const now = opts.elector.current();
    if (now) syncQueues(now);
  };

  /** The queues are Immich's: the one kind with batch work. */
  const BATCH = ALL_KINDS.find((d) => d.traits.batchWork);
  const syncQueues = (next: Placement): void => {
    const pauser = opts.queuePauser;
    if (!BATCH) return;
    const k = next.kinds[BATCH.id];
    const available = k.batchElected !== null;
    if (pauser && available !== batchAvailable) {
      batchAvailable = available;
      const batchName = k.candidates.find((c) => c.nodeId === k.batchElected)?.name ?? null;
      act(available ? 'resume-queues' : 'pause-queues', available ? `resuming ${BATCH.label} queues` : `pausing ${BATCH.label} queues`, { kind: BATCH.id, nodeId: k.batchElected, nodeName: batchName }, async (signal) => {
        const r = await pauser.setBatchAvailable(available, signal);
        const skipped = r.skipped.map((s) => `${s.queue} (${s.reason})`).join(', ');
        return available
          ? `resumed Immich queues ${r.resumed.join(', ') || '(none were paused by us)'}: batch work goes to ${batchName ?? '?'}`
          : `paused Immich queues ${r.paused.join(', ') || '(none)'}: no batch node is offered${skipped ? `; left alone: ${skipped}` : ''}`;
      }, () => {
        // Not in sync after all retries: the next election tries again instead of assuming it worked.
        if (batchAvailable === available) batchAvailable = null;
      });
    }
  };

  const recordPlacement = (next: Placement, prev: Placement | null): void => {
    for (const d of ALL_KINDS) {
      const kind = d.id;
      const n = next.kinds[kind];
      const p = prev?.kinds[kind];
      if (p && p.elected === n.elected && p.batchElected === n.batchElected) continue;
      // A kind nobody runs here (off by default) is not news at start.
      if (!p && n.elected === null && !d.enabledByDefault) continue;
      const name = n.candidates.find((c) => c.nodeId === n.elected)?.name ?? null;
      const label = d.label;
      const batchNode = n.candidates.find((c) => c.nodeId === n.batchElected);
      const batchTo = batchNode ? `${batchNode.name}${batchNode.gpu ? '' : ' (CPU)'}${n.batchReason ? `: ${n.batchReason}` : ''}` : 'held (no batch node)';
      const batch = d.traits.batchWork ? `; batch → ${batchTo}` : '';
      const message = `${label} → ${name ?? 'nowhere'} (${n.reason})${batch}`;
      opts.log.info(message);
      opts.history.add({ type: 'placement', kind, nodeId: n.elected, nodeName: name, action: null, status: 'info', message });
    }
  };

  return {
    name: 'actions',
    async start(signal) {
      if (signal.aborted || abort) return;
      abort = new AbortController();
      off = opts.elector.onChange(onChange);
      cancelSettle = opts.clock.setTimeout(settle, opts.settleMs ?? 15_000);
      const current = opts.elector.current();
      if (current) onChange(current, null);
    },
    async stop() {
      cancelSettle?.();
      cancelSettle = null;
      off?.();
      off = null;
      abort?.abort(new Error('stopping'));
      abort = null;
      await Promise.allSettled([...inFlight]);
    },
  };
}
