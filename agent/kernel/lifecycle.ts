/**
 * The lifecycle contract every long-running part follows (DESIGN.md §6.1): constructors wire,
 * `start(signal)` acts, `stop()` undoes exactly that, is idempotent and never throws.
 */
export interface Service {
  readonly name: string;
  /** Acquire resources. Honours `signal`: stop() may arrive while start() is still running. */
  start(signal: AbortSignal): Promise<void>;
  /** Release every timer, socket and listener this service created. Idempotent. */
  stop(): Promise<void>;
}
