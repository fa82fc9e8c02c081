/**
 * A faithful fake of the Ollama HTTP server for tests and demos, built from PROTOCOLS.md §1
 * (and checked against ollama/ollama server/routes.go, middleware/openai.go, openai/openai.go at
 * the commit listed in PROTOCOLS.md §0). Plain node:http so that framing is exactly controlled:
 * NDJSON lines flushed one by one, SSE events, gin's content types and error texts.
 *
 * @example
 *   const fake = createFakeOllama({ models: [{ name: 'llama3.2:3b' }] });
 *   await fake.start();
 *   const ollama = new Ollama({ host: fake.url });
 *   ...
 *   await fake.stop();
 */
import { withServerHandle } from './shared/server-handle.js';
import { createCallLog } from './shared/call-log.js';
import { createHttpHarness } from './shared/http-harness.js';
import { createTimerSet } from './shared/timers.js';
import { createGenerationEngine } from './ollama/generation.js';
import type { GenerationSettings } from './ollama/generation.js';
import { decodeJsonBody } from './ollama/go-format.js';
import { ModelRegistry } from './ollama/models.js';
import { dispatch, INFERENCE_PATHS } from './ollama/router.js';
import type { OllamaState } from './ollama/state.js';
import type { FakeModelSpec, FakeOllamaFault, FakeOllamaOptions, OllamaCall, ReportedSpeed } from './ollama/types.js';

export type { FakeModelSpec, FakeOllamaFault, FakeOllamaOptions, OllamaCall, ReportedSpeed } from './ollama/types.js';

export const DEFAULT_RESPONSE_TOKENS: readonly string[] = ['The', ' sky', ' is', ' blue', ' because', ' of', ' Rayleigh', ' scattering', '.'];
/** The runner-crash text Ollama sends when llama-server dies mid-generation. */
export const DEFAULT_MID_STREAM_ERROR = 'llama runner process has terminated: exit status 2';

export interface FakeOllama {
  start(): Promise<void>;
  /** Closes the server and destroys open connections (streams, hung requests); idempotent. */
  stop(): Promise<void>;
  /** `http://127.0.0.1:PORT`; throws before the first start(). */
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order (method, path, headers, parsed body, status, aborted, …). */
  readonly calls: OllamaCall[];
  /** Resolves with the first call (already seen or future) matching `predicate`. */
  waitForCall(predicate: (call: OllamaCall) => boolean, timeoutMs?: number): Promise<OllamaCall>;
  clearCalls(): void;
  /** Replaces the local models (names normalised to `name:latest`); removed models are unloaded. */
  setModels(models: FakeModelSpec[]): void;
  setResponseTokens(tokens: string[]): void;
  setTiming(timing: { tokensPerSec?: number; firstTokenDelayMs?: number; loadDelayMs?: number }): void;
  /** The speed the metrics claim (and keep to with `pace`); undefined = real measured timings. */
  setReportedSpeed(speed: ReportedSpeed | undefined): void;
  /** Every generation fails after `afterTokens` tokens; `undefined` switches it off. */
  setMidStreamError(afterTokens: number | undefined, message?: string): void;
  setHang(mode: boolean | 'inference'): void;
  /** Queues a one-shot fault for the next matching request (default: any inference route). */
  failNext(fault: FakeOllamaFault): void;
  /** Display names of the loaded models, as /api/ps lists them. */
  loadedModels(): string[];
  unloadAll(): void;
  /** Generations whose token timer is still running (0 after a client abort proves it stopped). */
  readonly activeGenerations: number;
  /** Timers still armed by the fake (0 after stop()). */
  readonly pendingTimers: number;
}

export function createFakeOllama(opts: FakeOllamaOptions = {}): FakeOllama {
  const timers = createTimerSet();
  const log = createCallLog<OllamaCall>();
  const registry = new ModelRegistry(opts.models ?? [], opts.defaultKeepAliveMs ?? 5 * 60_000);
  const engine = createGenerationEngine(registry, timers);
  const faults: FakeOllamaFault[] = [];
  let tokensPerSec = opts.tokensPerSec ?? 200;
  let firstTokenDelayMs = opts.firstTokenDelayMs ?? 0;
  let loadDelayMs = opts.loadDelayMs ?? 0;
  let responseTokens: readonly string[] = opts.responseTokens ?? DEFAULT_RESPONSE_TOKENS;
  let errorAfterTokens = opts.midStreamErrorAfterTokens;
  let errorMessage = opts.midStreamErrorMessage ?? DEFAULT_MID_STREAM_ERROR;
  let hang: boolean | 'inference' = opts.hang ?? false;
  let reportedSpeed: ReportedSpeed | undefined = opts.reportedSpeed;
  const hostCheck = opts.hostCheck ?? true;

  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.|::1$|localhost$)/.test(host)) throw new Error(`fake-ollama listens on loopback only, not ${host}`);

  function takeFault(path: string, kinds: FakeOllamaFault['kind'][]): FakeOllamaFault | undefined {
    const index = faults.findIndex(
      (f) => kinds.includes(f.kind) && (f.path === undefined ? INFERENCE_PATHS.has(path) : f.path === path),
    );
    return index < 0 ? undefined : faults.splice(index, 1)[0];
  }

  const state: OllamaState = {
    registry,
    engine,
    version: opts.version ?? '0.33.0',
    loadDelayMs: () => loadDelayMs,
    generationSettings(path): GenerationSettings {
      const fault = takeFault(path, ['midStream']);
      const oneShot = fault?.kind === 'midStream' ? fault : undefined;
      return {
        tokensPerSec,
        firstTokenDelayMs,
        loadDelayMs,
        responseTokens,
        errorAfterTokens: oneShot !== undefined ? oneShot.afterTokens : errorAfterTokens,
        errorMessage: oneShot?.message ?? errorMessage,
        reportedSpeed,
      };
    },
  };

  const harness = createHttpHarness<OllamaCall>({
    name: 'fake-ollama',
    host,
    port: opts.port ?? 0,
    // Ollama's http.Server sets no idle timeout: keep-alive connections stay open.
    keepAliveTimeoutMs: 0,
    log,
    makeCall(base, body) {
      const rawBody = body.toString('utf8');
      const decoded = decodeJsonBody(rawBody);
      const parsed = decoded.kind === 'ok' ? decoded.value : decoded.kind === 'empty' ? undefined : rawBody;
      return { ...base, body: parsed, rawBody };
    },
    handle(ex) {
      dispatch(ex, state, { hang: () => hang, hostCheck: () => hostCheck, takeFault });
    },
    onStop() {
      timers.clearAll();
    },
  });

  return withServerHandle(harness, log, {
    setModels: (models) => registry.setModels(models),
    setResponseTokens(tokens) {
      responseTokens = [...tokens];
    },
    setTiming(timing) {
      tokensPerSec = timing.tokensPerSec ?? tokensPerSec;
      firstTokenDelayMs = timing.firstTokenDelayMs ?? firstTokenDelayMs;
      loadDelayMs = timing.loadDelayMs ?? loadDelayMs;
    },
    setReportedSpeed(speed) {
      reportedSpeed = speed === undefined ? undefined : { ...speed };
    },
    setMidStreamError(afterTokens, message) {
      errorAfterTokens = afterTokens;
      errorMessage = message ?? DEFAULT_MID_STREAM_ERROR;
    },
    setHang(mode) {
      hang = mode;
    },
    failNext(fault) {
      faults.push(fault);
    },
    loadedModels: () => registry.psJson(Date.now()).models.map((m) => String(m['name'])),
    unloadAll: () => registry.unloadAll(),
    get activeGenerations() {
      return engine.active;
    },
    get pendingTimers() {
      return timers.size;
    },
  });
}
