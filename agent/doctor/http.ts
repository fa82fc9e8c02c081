/**
 * One bounded HTTP GET for the checks. A doctor run is a one-shot command, so the platform's own
 * AbortSignal.timeout (an unref'd timer that cannot keep the process alive) bounds each call.
 */
import type { DoctorDeps } from './types.js';

/** Long enough for a LAN peer or a busy Immich, short enough that a run stays interactive. */
export const DOCTOR_HTTP_TIMEOUT_MS = 3000;

export interface GetResult {
  status: number;
  headers: Headers;
  text: string;
  /** This machine's clock just before the request and just after the answer. */
  sentMs: number;
  receivedMs: number;
}

/** Rejects when nothing answered (refused, timeout, DNS); any HTTP status resolves. */
export async function httpGet(deps: Pick<DoctorDeps, 'fetch' | 'nowMs'>, url: string, headers: Record<string, string> = {}): Promise<GetResult> {
  const sentMs = deps.nowMs();
  // redirect 'error': an API key must never be replayed to wherever a redirect points.
  const res = await deps.fetch(url, { headers, redirect: 'error', signal: AbortSignal.timeout(DOCTOR_HTTP_TIMEOUT_MS) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, sentMs, receivedMs: deps.nowMs() };
}

/** Where this machine's own agent answers: a wildcard bind address is reached over loopback. */
export function localAgentUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
