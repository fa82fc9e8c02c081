import { TimeoutError } from './clock.js';
import { describeError } from './errors.js';

/**
 * A human reason for a failed HTTP call to a local service or peer: "connection refused",
 * "no answer within 5000 ms", "host not found". Node's fetch wraps the socket error in
 * `TypeError('fetch failed')` with the real error as `cause` (undici).
 */
export function describeFetchError(err: unknown, url: string): string {
  if (err instanceof TimeoutError) return `${err.message} from ${url}`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof TimeoutError) return `${cause.message} from ${url}`;
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused at ${url}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found: ${safeHost(url)}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable: ${safeHost(url)}`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection reset by ${url}`;
    default:
      return `${describeError(cause)} (${url})`;
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
