/** Public option and record types of the fake Ollama (see fake-ollama.ts). */
import type { BaseCall } from '../shared/http-harness.js';

/** One local model, as `ollama list` would show it. Only `name` is required. */
export interface FakeModelSpec {
  /** `name[:tag]`, optional `namespace/`; the tag defaults to `latest` (PROTOCOLS.md §1.3). */
  name: string;
  sizeBytes?: number;
  /** Bytes in VRAM while loaded (`/api/ps` size_vram); defaults to sizeBytes (fully on GPU). */
  sizeVramBytes?: number;
  family?: string;
  /** e.g. "3.2B"; defaults to the number in the tag ("3b" → "3B") or "3.2B". */
  parameterSize?: string;
  quantization?: string;
  /** Defaults to ["embedding"] for names containing "embed"/"minilm", else ["completion"]. */
  capabilities?: string[];
  /** Length of /api/embed vectors; default 768. */
  embeddingLength?: number;
  /** Default context length reported by /api/ps when the request sets no num_ctx; default 4096. */
  contextLength?: number;
}

/** One-shot fault for the next matching request (see FakeOllama.failNext). */
export type FakeOllamaFault =
  /** Stream `afterTokens` tokens, then an error line (or a plain JSON error if 0 tokens were sent). */
  | { kind: 'midStream'; afterTokens: number; message?: string; path?: string }
  /** Answer with `{"error": message}` and this status before doing anything else. */
  | { kind: 'status'; status: number; message: string; path?: string }
  /** Accept the request and never answer. */
  | { kind: 'hang'; path?: string }
  /** Destroy the connection without a response (ECONNRESET on the client). */
  | { kind: 'reset'; path?: string };

export interface FakeOllamaOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only: tests must never listen on or send to the outside network. */
  host?: string;
  models?: FakeModelSpec[];
  /** `/api/version`; default "0.33.0". */
  version?: string;
  /** Token pace of generate/chat streams; default 200. 0 or Infinity = no delay between tokens. */
  tokensPerSec?: number;
  /** Delay before the first token (prompt evaluation); default 0. */
  firstTokenDelayMs?: number;
  /** Extra delay the first time a model is used while not loaded (model load); default 0. */
  loadDelayMs?: number;
  /**
   * The speed the final metrics report (issue 15), instead of the measured timings: eval_duration =
   * eval_count / tokensPerSec, prompt_eval_duration = prompt_eval_count / promptTokensPerSec (ns).
   * Absent (default): the metrics are the real measured nanoseconds.
   */
  reportedSpeed?: ReportedSpeed;
  /** The text every completion returns, already split into tokens. */
  responseTokens?: string[];
  /** Every generation fails after this many tokens (see the 'midStream' fault). */
  midStreamErrorAfterTokens?: number;
  midStreamErrorMessage?: string;
  /** true: no request is ever answered; 'inference': only generate/chat/embed (and /v1) hang. */
  hang?: boolean | 'inference';
  /** keep_alive used when a request sends none (OLLAMA_KEEP_ALIVE); default 5 min. */
  defaultKeepAliveMs?: number;
  /**
   * Ollama bound to loopback answers 403 (empty body) to a Host header that is not local
   * (PROTOCOLS.md §1.1). Default true, so a proxy that forwards the client's Host is caught.
   */
  hostCheck?: boolean;
}

/** One request as the fake saw it. */
export interface OllamaCall extends BaseCall {
  /** Parsed JSON body; the raw text if it was not JSON; undefined if empty. */
  body: unknown;
  rawBody: string;
}

/** A speed the fake claims in its metrics, and optionally keeps to (see FakeOllamaOptions.reportedSpeed). */
export interface ReportedSpeed {
  /** Generation speed: eval_count / eval_duration. */
  tokensPerSec: number;
  /** Prompt evaluation speed: prompt_eval_count / prompt_eval_duration; absent = measured. */
  promptTokensPerSec?: number;
  /**
   * Also stream at that pace: one token every 1/tokensPerSec s and, when promptTokensPerSec is set,
   * the first token after prompt_eval_count / promptTokensPerSec s (instead of firstTokenDelayMs),
   * so wall-clock timings (TTFT, the OpenAI path) agree with the metrics.
   */
  pace?: boolean;
}

export type KeepAlive = { kind: 'absent' } | { kind: 'ms'; ms: number };
