/**
 * Admin access (issue 6). Reading stays open to the clients the routed endpoints allow; every
 * change needs the admin credential (agent/admin-token.ts), sent one of two ways:
 * - `Authorization: Bearer <token>` (scripts, the CLI). Browsers never attach this header on their
 *   own, so a request carrying it cannot be a cross-site forgery and needs no CSRF check.
 * - the `im_session` cookie set by `POST /api/v1/login {"token": "..."}` (the web page). Browsers
 *   DO attach cookies on their own, so a cookie-authenticated change must also prove it came from
 *   our own page: SameSite=Strict on the cookie AND an Origin (or Referer) that equals the request's
 *   own origin. Both, because either alone has gaps (older browsers, same-site sibling hosts):
 *   OWASP CSRF Prevention Cheat Sheet, "SameSite Cookie Attribute" and "Verifying Origin With
 *   Standard Headers".
 *
 * Sessions are opaque random ids kept in memory, not stateless cookies signed with a key derived
 * from the admin token: logout then really ends a session on the server (a copied cookie stops
 * working), nothing derived from the admin token ever leaves the agent, and there is no signing
 * scheme to get wrong. The cost, accepted: sessions vanish when the agent restarts, and the web page
 * asks to log in again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { z } from 'zod';
import { AgentError } from '../agent/kernel/errors.js';
import { parseBody } from './body.js';
import { errorResponse } from './errors.js';

export const SESSION_COOKIE = 'im_session';
export const DEFAULT_SESSION_TTL_MS = 30 * 86_400_000;
/** RFC 6265bis §5.6.2 caps Max-Age at 400 days (browsers clamp it; hono's setCookie throws above). */
const MAX_SESSION_TTL_MS = 400 * 86_400_000;
/** A home lab has a handful of browsers; the cap only keeps a login loop from growing memory. */
const MAX_SESSIONS = 1000;
export const FAILED_LOGIN_LIMIT = 10;
export const FAILED_LOGIN_WINDOW_MS = 60_000;
const MAX_TRACKED_CLIENTS = 10_000;
/** RFC 9110 §9.2.1: every other method is unsafe, i.e. may change state. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const ADMIN_REQUIRED_MESSAGE =
  'changing settings needs the admin credential: log in on the web page, or send Authorization: Bearer <token> ' +
  '(print it with `inference-mesh admin-token` on the agent\'s machine)';

export interface AdminAuthOptions {
  /** The current admin token; null until the agent has loaded it (then changes answer 503). */
  token: () => string | null;
  nowMs: () => number;
  /** How long a login lasts (absolute, not sliding). Default 30 days. */
  sessionTtlMs?: number;
  /**
   * Mark the cookie Secure. Off by default: the agent serves plain HTTP on the LAN (DESIGN.md §5),
   * where a Secure cookie would never be sent back. Turn on behind an HTTPS reverse proxy.
   */
  secureCookies?: boolean;
}

/** The answer to a Bearer credential outside Hono (the routed endpoints' model management). */
export type BearerVerdict = { ok: true } | { ok: false; status: 401 | 403 | 429 | 503; code: string; message: string; headers: Record<string, string> };

export interface AdminAuth {
  /** Put in front of every state-changing route. */
  middleware: MiddlewareHandler;
  /**
   * Checks `Authorization: Bearer <admin token>` from `client` (an address), with the same failure
   * limit as the API. Cookies are not accepted: the routed endpoints have no CSRF check.
   */
  bearer(authorizationHeader: string | undefined, client: string): BearerVerdict;
  /** `POST /login`, `POST /logout`, `GET /session`; mount under `/api/v1`. */
  routes(): Hono;
}

export const loginBody = z.strictObject({ token: z.string().min(1).max(1024) });

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time comparison. timingSafeEqual needs equal lengths; comparing SHA-256 digests gives
 * that without leaking the real token's length through an early length check.
 */
function sameSecret(candidate: string, token: string): boolean {
  return timingSafeEqual(digest(candidate), digest(token));
}

type Authenticated =
  | { kind: 'bearer' | 'cookie' }
  | { kind: 'none' | 'wrong' | 'stale' }
  | { kind: 'limited'; retryAfterSec: number };

export function createAdminAuth(opts: AdminAuthOptions): AdminAuth {
  const ttlMs = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_SESSION_TTL_MS) {
    throw new AgentError('admin_session_ttl_invalid', `sessionTtlMs must be a whole number from 1000 to ${MAX_SESSION_TTL_MS}`);
  }
  const cookieOptions: CookieOptions = { httpOnly: true, sameSite: 'Strict', path: '/', ...(opts.secureCookies ? { secure: true } : {}) };
  const sessions = createSessions(ttlMs);
  const limiter = createFailureLimiter();

  const checkBearer = (header: string, client: string, token: string, now: number): Authenticated => {
    // The scheme name is case-insensitive (RFC 9110 §11.1); the credential syntax is RFC 6750 §2.1.
    const bearer = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (bearer === undefined) return { kind: 'none' };
    const retryAfterSec = limiter.retryAfterSec(client, now);
    // Checked before the comparison, or the limit would not slow guessing down.
    if (retryAfterSec > 0) return { kind: 'limited', retryAfterSec };
    if (sameSecret(bearer, token)) return { kind: 'bearer' };
    limiter.fail(client, now);
    return { kind: 'wrong' };
  };

  const bearer = (header: string | undefined, client: string): BearerVerdict => {
    const token = opts.token();
    if (token === null) return { ok: false, status: 503, code: 'admin_unavailable', message: NOT_READY_MESSAGE, headers: {} };
    const auth = header === undefined ? ({ kind: 'none' } as const) : checkBearer(header, client.replace(/^::ffff:/i, ''), token, opts.nowMs());
    switch (auth.kind) {
      case 'bearer':
      case 'cookie':
        return { ok: true };
      case 'limited':
        return { ok: false, status: 429, code: 'too_many_failures', message: TOO_MANY_MESSAGE, headers: { 'retry-after': String(auth.retryAfterSec) } };
      case 'wrong':
        return { ok: false, status: 403, code: 'admin_token_wrong', message: 'the admin credential is wrong', headers: {} };
      case 'none':
      case 'stale':
        return { ok: false, status: 401, code: 'admin_required', message: MODEL_ADMIN_MESSAGE, headers: { 'www-authenticate': WWW_AUTHENTICATE } };
    }
  };

  const authenticate = (c: Context, token: string): Authenticated => {
    const now = opts.nowMs();
    const header = c.req.header('authorization');
    if (header !== undefined) return checkBearer(header, clientAddress(c), token, now);
    const id = getCookie(c, SESSION_COOKIE);
    if (id === undefined || id === '') return { kind: 'none' };
    return sessions.valid(id, digest(token), now) ? { kind: 'cookie' } : { kind: 'stale' };
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const token = opts.token();
    if (token === null) return notReady(c);
    const auth = authenticate(c, token);
    switch (auth.kind) {
      case 'bearer':
        return next();
      case 'cookie': {
        if (!SAFE_METHODS.has(c.req.method)) {
          const refusal = crossSiteRefusal(c, true);
          if (refusal !== null) return errorResponse(c, 403, { code: 'csrf', message: refusal });
        }
        return next();
      }
      case 'limited':
        return tooManyFailures(c, auth.retryAfterSec);
      case 'wrong':
        return errorResponse(c, 403, { code: 'admin_token_wrong', message: 'the admin credential is wrong' });
      case 'stale':
        deleteCookie(c, SESSION_COOKIE, cookieOptions);
        return adminRequired(c, 'your login has expired (or the agent restarted); log in again on the web page, or send Authorization: Bearer <token>');
      case 'none':
        return adminRequired(c, ADMIN_REQUIRED_MESSAGE);
    }
  };

  const routes = (): Hono => {
    const app = new Hono();
    app.post('/login', async (c) => {
      // A cross-site login attempt is refused too (OWASP: "Login CSRF"); one without Origin or
      // Referer is a non-browser client, which has no ambient cookies to abuse.
      const refusal = crossSiteRefusal(c, false);
      if (refusal !== null) return errorResponse(c, 403, { code: 'csrf', message: refusal });
      const token = opts.token();
      if (token === null) return notReady(c);
      const client = clientAddress(c);
      const retryAfterSec = limiter.retryAfterSec(client, opts.nowMs());
      if (retryAfterSec > 0) return tooManyFailures(c, retryAfterSec);
      const body = await parseBody(c.req.raw, loginBody);
      c.header('Cache-Control', 'no-store');
      if (!sameSecret(body.token.trim(), token)) {
        limiter.fail(client, opts.nowMs());
        return errorResponse(c, 403, {
          code: 'admin_token_wrong',
          message: 'the admin credential is wrong; print the right one with `inference-mesh admin-token` on the agent\'s machine',
        });
      }
      // Always a fresh id, and the old one dropped: a session id planted before login must not
      // become an admin session (OWASP Session Management Cheat Sheet, "Renew the Session ID").
      const previous = getCookie(c, SESSION_COOKIE);
      if (previous !== undefined) sessions.drop(previous);
      const session = sessions.create(digest(token), opts.nowMs());
      setCookie(c, SESSION_COOKIE, session.id, { ...cookieOptions, maxAge: Math.floor(ttlMs / 1000) });
      return c.json({ admin: true, expiresAtMs: session.expiresAtMs });
    });
    app.post('/logout', (c) => {
      const refusal = crossSiteRefusal(c, false);
      if (refusal !== null) return errorResponse(c, 403, { code: 'csrf', message: refusal });
      const id = getCookie(c, SESSION_COOKIE);
      if (id !== undefined) sessions.drop(id);
      deleteCookie(c, SESSION_COOKIE, cookieOptions);
      c.header('Cache-Control', 'no-store');
      return c.json({ admin: false });
    });
    app.get('/session', (c) => {
      const token = opts.token();
      const auth = token === null ? null : authenticate(c, token);
      if (auth?.kind === 'limited') return tooManyFailures(c, auth.retryAfterSec);
      if (auth?.kind === 'stale') deleteCookie(c, SESSION_COOKIE, cookieOptions);
      c.header('Cache-Control', 'no-store');
      return c.json({ admin: auth?.kind === 'bearer' || auth?.kind === 'cookie' });
    });
    return app;
  };

  return { middleware, routes, bearer };
}

// RFC 9110 §15.5.2: a 401 carries WWW-Authenticate. "Bearer" (RFC 6750 §3) does not make
// browsers pop up their own login dialog, as "Basic" would.
const WWW_AUTHENTICATE = 'Bearer realm="inference-mesh"';
const NOT_READY_MESSAGE = 'the agent is still starting and cannot check the admin credential yet; try again in a moment';
const TOO_MANY_MESSAGE = 'too many failed logins; wait a minute';
const MODEL_ADMIN_MESSAGE =
  'managing models (pull, push, create, copy, delete) needs the admin credential: send Authorization: Bearer <token> ' +
  "(print it with `inference-mesh admin-token` on the agent's machine), or set proxy.openModelManagement to true";

function adminRequired(c: Context, message: string): Response {
  c.header('WWW-Authenticate', WWW_AUTHENTICATE);
  return errorResponse(c, 401, { code: 'admin_required', message });
}

function notReady(c: Context): Response {
  return errorResponse(c, 503, { code: 'admin_unavailable', message: NOT_READY_MESSAGE });
}

function tooManyFailures(c: Context, retryAfterSec: number): Response {
  c.header('Retry-After', String(retryAfterSec)); // RFC 6585 §4
  return errorResponse(c, 429, { code: 'too_many_failures', message: TOO_MANY_MESSAGE });
}

/**
 * Null when the request comes from our own origin, else why it is refused. OWASP CSRF Prevention
 * Cheat Sheet, "Verifying Origin With Standard Headers": the source origin is `Origin`, or the
 * origin of `Referer` when Origin is absent; the target origin is scheme://Host of the request
 * (@hono/node-server builds c.req.url from the Host header and the socket's TLS state).
 * `required`: refuse when neither header is present (cookie-authenticated changes); otherwise
 * such a request is let through (login/logout from non-browser clients).
 *
 * DNS rebinding does not get around this: a rebound page has its own origin in both Origin and
 * Host, but the browser keeps our cookie to our host name, so it arrives without a session.
 */
function crossSiteRefusal(c: Context, required: boolean): string | null {
  const origin = c.req.header('origin');
  const referer = origin === undefined ? c.req.header('referer') : undefined;
  if (origin === undefined && referer === undefined) {
    return required
      ? 'this change came without an Origin or Referer header, so it cannot be told apart from one sent by another site; ' +
          'refused to protect your settings (scripts: send Authorization: Bearer <token> instead of the cookie)'
      : null;
  }
  const source = originOf(origin ?? referer ?? '');
  const own = ownOrigin(c);
  if (source !== null && own !== null && source === own) return null;
  const shown = origin !== undefined ? `Origin ${origin}` : `Referer origin ${source ?? 'unreadable'}`;
  return `this change came from another site (${shown.slice(0, 200)}); refused to protect your settings`;
}

/** The serialized origin of an http(s) URL (lowercase host, default port dropped), or null ("null", opaque, junk). */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function ownOrigin(c: Context): string | null {
  try {
    const url = new URL(c.req.url);
    return originOf(`${url.protocol}//${c.req.header('host') ?? url.host}`);
  } catch {
    return null;
  }
}

/**
 * The socket's peer address. Behind a reverse proxy every client shares the proxy's bucket; that is
 * accepted rather than trusting X-Forwarded-For, which a guesser could vary to dodge the limit.
 */
function clientAddress(c: Context): string {
  try {
    return (getConnInfo(c).remote.address ?? 'unknown').replace(/^::ffff:/i, '');
  } catch {
    // In-process requests (app.request without a socket) have no remote address.
    return 'unknown';
  }
}

interface Session {
  expiresAtMs: number;
  /** The admin token the session was opened with: a new token ends every older session. */
  tokenDigest: Buffer;
}

/**
 * In-memory sessions (see the file comment for why not stateless cookies). Keyed by a SHA-256 of the
 * id, so neither a Map lookup's timing nor a heap dump gives away a usable cookie. Ids are 256
 * random bits (OWASP Session Management Cheat Sheet asks for at least 64 bits of entropy).
 */
function createSessions(ttlMs: number) {
  const byDigest = new Map<string, Session>();
  const key = (id: string): string => digest(id).toString('base64url');
  return {
    create(tokenDigest: Buffer, nowMs: number): { id: string; expiresAtMs: number } {
      for (const [k, s] of byDigest) if (nowMs >= s.expiresAtMs) byDigest.delete(k);
      // Full of live sessions: the oldest login (Map keeps insertion order) is logged out.
      while (byDigest.size >= MAX_SESSIONS) {
        const oldest = byDigest.keys().next();
        if (oldest.done) break;
        byDigest.delete(oldest.value);
      }
      const id = randomBytes(32).toString('base64url');
      const expiresAtMs = nowMs + ttlMs;
      byDigest.set(key(id), { expiresAtMs, tokenDigest });
      return { id, expiresAtMs };
    },
    valid(id: string, tokenDigest: Buffer, nowMs: number): boolean {
      const k = key(id);
      const session = byDigest.get(k);
      if (session === undefined) return false;
      if (nowMs >= session.expiresAtMs || !timingSafeEqual(session.tokenDigest, tokenDigest)) {
        byDigest.delete(k);
        return false;
      }
      return true;
    },
    drop(id: string): void {
      byDigest.delete(key(id));
    },
  };
}

/**
 * At most FAILED_LOGIN_LIMIT failed attempts (login or Bearer) per client address in any sliding
 * FAILED_LOGIN_WINDOW_MS. A 256-bit token cannot be guessed anyway; the limit keeps a scripted
 * guesser from costing CPU and flooding the log, and slows down guessing of hand-chosen tokens.
 */
function createFailureLimiter() {
  const failuresMs = new Map<string, number[]>();
  const recent = (client: string, nowMs: number): number[] => {
    const kept = (failuresMs.get(client) ?? []).filter((t) => nowMs - t < FAILED_LOGIN_WINDOW_MS);
    if (kept.length === 0) failuresMs.delete(client);
    else failuresMs.set(client, kept);
    return kept;
  };
  return {
    /** Seconds until the next attempt is allowed; 0 when it is allowed now. */
    retryAfterSec(client: string, nowMs: number): number {
      const kept = recent(client, nowMs);
      const oldest = kept[kept.length - FAILED_LOGIN_LIMIT];
      if (kept.length < FAILED_LOGIN_LIMIT || oldest === undefined) return 0;
      return Math.max(1, Math.ceil((oldest + FAILED_LOGIN_WINDOW_MS - nowMs) / 1000));
    },
    fail(client: string, nowMs: number): void {
      const kept = recent(client, nowMs);
      if (kept.length === 0 && failuresMs.size >= MAX_TRACKED_CLIENTS) {
        const oldest = failuresMs.keys().next();
        if (!oldest.done) failuresMs.delete(oldest.value);
      }
      // Only the newest LIMIT failures matter for the decision; older ones are dropped.
      failuresMs.set(client, [...kept, nowMs].slice(-FAILED_LOGIN_LIMIT));
    },
  };
}
