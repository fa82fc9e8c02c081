/**
 * The one schema for every http(s) URL a person types (a service, an agent, an endpoint): checked
 * for the scheme, its length and a sane host name (issue 11).
 */
import { z } from 'zod';

/** Longer URLs are not ones a person types for a LAN service; the cap keeps stored state small. */
export const MAX_URL_LENGTH = 2048;

/**
 * RFC 1035 §2.3.4 (and RFC 1123 §2.1): a name is at most 255 octets on the wire, i.e. 253
 * characters written out, and each label 1–63. Issue 11: `POST /api/v1/peers` saved a URL with a
 * 5 MB host name. IP literals pass (an IPv6 one has no DNS labels); one trailing dot is allowed.
 */
export function hostNameProblem(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null; // z.url reports it
  }
  if (host.startsWith('[')) return null;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > 253) return `the host name is ${name.length} characters long; at most 253 are allowed`;
  const labels = name.split('.');
  if (labels.some((l) => l.length === 0)) return 'the host name has an empty label (two dots in a row)';
  const long = labels.find((l) => l.length > 63);
  if (long !== undefined) return `the host name label "${long.slice(0, 20)}…" is ${long.length} characters long; at most 63 are allowed`;
  return null;
}

export const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
  .superRefine((url, ctx) => {
    const problem = hostNameProblem(url);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
