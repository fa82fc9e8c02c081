/**
 * Timed token generation shared by /api/generate, /api/chat and /v1/chat/completions. Timing
 * follows the options (load delay if the model was not loaded, then firstTokenDelayMs, then one
 * token per 1/tokensPerSec); metrics are real measured nanoseconds (PROTOCOLS.md §1.3), unless a
 * reported speed is set (issue 15): then eval/prompt durations are computed from it, and with
 * `pace` the stream keeps to it too.
 * The client disconnecting (ex.signal) cancels the pending timer at once, like Ollama cancelling
 * the completion when the request context ends.
 */
import type { TimerSet } from '../shared/timers.js';
import type { OllamaExchange } from './http-io.js';
import type { ModelEntry, ModelRegistry } from './models.js';
import type { KeepAlive, ReportedSpeed } from './types.js';

export interface GenerationSettings {
  tokensPerSec: number;
  firstTokenDelayMs: number;
  loadDelayMs: number;
  responseTokens: readonly string[];
  /** Fail with `errorMessage` after this many tokens (before done if ≥ the token count). */
  errorAfterTokens: number | undefined;
  errorMessage: string;
  /** Metrics claim this speed (and the stream keeps to it when `pace`); undefined = measured. */
  reportedSpeed: ReportedSpeed | undefined;
}

export interface FinalStats {
  doneReason: 'stop' | 'length';
  totalNs: number;
  loadNs: number;
  promptEvalCount: number;
  promptEvalNs: number;
  evalCount: number;
  evalNs: number;
}

/** Framing for one response style (NDJSON, single JSON, SSE, OpenAI JSON). */
export interface GenerationWriter {
  token(text: string): void;
  done(stats: FinalStats): void;
  error(message: string): void;
}

export interface GenerationJob {
  ex: OllamaExchange;
  entry: ModelEntry;
  keepAlive: KeepAlive;
  contextLength: number | undefined;
  promptTokens: number;
  /** options.num_predict / max_tokens: stop with done_reason "length" after this many tokens. */
  maxTokens: number | undefined;
}

export interface GenerationEngine {
  run(job: GenerationJob, settings: GenerationSettings, writer: GenerationWriter): void;
  /** A load-only request (empty prompt / messages): waits for the load, then calls `onLoaded`. */
  load(job: GenerationJob, loadDelayMs: number, onLoaded: () => void): void;
  /** Generations whose timer is still running. */
  readonly active: number;
}

/** Rough token count of a text, as a stand-in for the model's tokenizer. */
export function countTokens(text: string): number {
  return text === '' ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

const ns = (from: bigint, to: bigint): number => Math.max(1, Number(to - from));

const validRate = (rate: number | undefined): rate is number => rate !== undefined && rate > 0 && Number.isFinite(rate);
/** Nanoseconds `count` tokens take at `rate` tokens/s; 0 (omitted, as Ollama does) for no tokens. */
const nsAt = (count: number, rate: number): number => (count === 0 ? 0 : Math.max(1, Math.round((count / rate) * 1e9)));

export function createGenerationEngine(registry: ModelRegistry, timers: TimerSet): GenerationEngine {
  let active = 0;

  /** Common lifecycle: counts the job, acquires the model after the load delay, always releases. */
  function begin(job: GenerationJob, loadDelayMs: number, afterLoad: (ctl: Control) => void): void {
    const { ex, entry } = job;
    let cancelTimer: (() => void) | undefined;
    let acquired = false;
    let finished = false;
    const ctl: Control = {
      loadedAt: 0n,
      schedule(ms, fn) {
        cancelTimer = timers.after(ms, fn);
      },
      finish() {
        if (finished) return;
        finished = true;
        active -= 1;
        cancelTimer?.();
        ex.signal.removeEventListener('abort', onAbort);
        if (acquired) registry.release(entry, job.keepAlive, Date.now());
      },
    };
    const onAbort = (): void => ctl.finish();
    active += 1;
    ex.signal.addEventListener('abort', onAbort, { once: true });
    if (ex.signal.aborted) {
      ctl.finish();
      return;
    }
    const loadMs = registry.isLoaded(entry, Date.now()) ? 0 : loadDelayMs;
    ctl.schedule(loadMs, () => {
      registry.acquire(entry, job.keepAlive, job.contextLength, Date.now());
      acquired = true;
      ctl.loadedAt = process.hrtime.bigint();
      afterLoad(ctl);
    });
  }

  return {
    get active() {
      return active;
    },

    load(job, loadDelayMs, onLoaded) {
      begin(job, loadDelayMs, (ctl) => {
        ctl.finish();
        onLoaded();
      });
    },

    run(job, settings, writer) {
      const limited = job.maxTokens !== undefined && job.maxTokens >= 0 && job.maxTokens < settings.responseTokens.length;
      const tokens = limited ? settings.responseTokens.slice(0, job.maxTokens) : settings.responseTokens;
      const reported = settings.reportedSpeed;
      const genRate = validRate(reported?.tokensPerSec) ? reported.tokensPerSec : undefined;
      const promptRate = validRate(reported?.promptTokensPerSec) ? reported.promptTokensPerSec : undefined;
      const pace = reported?.pace === true;
      const paceRate = pace && genRate !== undefined ? genRate : settings.tokensPerSec;
      const intervalMs = paceRate > 0 && Number.isFinite(paceRate) ? 1000 / paceRate : 0;
      const firstTokenDelayMs = pace && promptRate !== undefined ? (job.promptTokens / promptRate) * 1000 : settings.firstTokenDelayMs;
      begin(job, settings.loadDelayMs, (ctl) => {
        let emitted = 0;
        let firstAt = 0n;
        const step = (): void => {
          if (emitted === 0) firstAt = process.hrtime.bigint();
          const errorAt = settings.errorAfterTokens;
          if (errorAt !== undefined && emitted >= Math.min(errorAt, tokens.length)) {
            ctl.finish();
            writer.error(settings.errorMessage);
            return;
          }
          const next = tokens[emitted];
          if (next !== undefined) {
            emitted += 1;
            writer.token(next);
            ctl.schedule(intervalMs, step);
            return;
          }
          const doneAt = process.hrtime.bigint();
          ctl.finish();
          const loadNs = ns(job.ex.startedNs, ctl.loadedAt);
          const promptEvalNs = promptRate !== undefined ? nsAt(job.promptTokens, promptRate) : ns(ctl.loadedAt, firstAt);
          const evalNs = genRate !== undefined ? nsAt(emitted, genRate) : ns(firstAt, doneAt);
          writer.done({
            doneReason: limited ? 'length' : 'stop',
            // Reported parts never add up to more than the whole, as in Ollama's own figures.
            totalNs: reported === undefined ? ns(job.ex.startedNs, doneAt) : Math.max(ns(job.ex.startedNs, doneAt), loadNs + promptEvalNs + evalNs),
            loadNs,
            promptEvalCount: job.promptTokens,
            promptEvalNs,
            evalCount: emitted,
            evalNs,
          });
        };
        ctl.schedule(firstTokenDelayMs, step);
      });
    },
  };
}

interface Control {
  loadedAt: bigint;
  schedule(ms: number, fn: () => void): void;
  finish(): void;
}
