/**
 * What every fake server gives its tests, in one place: start/stop, its URL and port (readable
 * only after start), and the call log. Each fake adds its own knobs to `extras`; the shared members
 * are defined on that same object, so the fake's own getters stay live getters.
 */
import type { CallLog } from './call-log.js';
import type { HttpHarness } from './http-harness.js';

export interface ServerHandle<C> {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly url: string;
  readonly port: number;
  readonly calls: C[];
  waitForCall(predicate: (call: C) => boolean, timeoutMs?: number): Promise<C>;
  clearCalls(): void;
}

export function withServerHandle<C, H extends ServerHandle<C>>(harness: HttpHarness, log: CallLog<C>, extras: Omit<H, keyof ServerHandle<C>>): H {
  const shared: PropertyDescriptorMap = {
    start: { value: () => harness.start(), enumerable: true },
    stop: { value: () => harness.stop(), enumerable: true },
    url: { get: () => harness.url, enumerable: true },
    port: { get: () => harness.port, enumerable: true },
    calls: { value: log.calls, enumerable: true },
    waitForCall: { value: (predicate: (call: C) => boolean, timeoutMs?: number) => log.waitFor(predicate, timeoutMs), enumerable: true },
    clearCalls: { value: () => log.clear(), enumerable: true },
  };
  return Object.defineProperties(extras, shared) as H;
}
