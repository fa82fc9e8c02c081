import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_REQUIRED_MESSAGE,
  DEFAULT_SESSION_TTL_MS,
  FAILED_LOGIN_LIMIT,
  FAILED_LOGIN_WINDOW_MS,
  SESSION_COOKIE,
  createAdminAuth,
  type AdminAuthOptions,
} from '../../../api/admin-auth.js';
import { createErrorHandler } from '../../../api/errors.js';
import { captureLog } from '../../helpers/capture-log.js';

const TOKEN = 'kJ3n0Wc5mZ8qP1rT7vX2yB4dF6hL9sU0aE3gI5oQ7wM';
// app.request('/…') builds http://localhost/…; that is the request's own origin.
const SELF = 'http://localhost';

let nowMs: number;
let token: string | null;

function makeApp(extra: Partial<AdminAuthOptions> = {}): Hono {
  const auth = createAdminAuth({ token: () => token, nowMs: () => nowMs, ...extra });
  const app = new Hono();
  app.onError(createErrorHandler(captureLog().log));
  app.route('/api/v1', auth.routes());
  app.put('/api/v1/thing', auth.middleware, (c) => c.json({ changed: true }));
  app.get('/api/v1/thing', auth.middleware, (c) => c.json({ read: true }));
  return app;
}

/** A socket address, as @hono/node-server passes it (read by getConnInfo). */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

async function login(app: Hono, candidate = TOKEN, headers: Record<string, string> = {}, env?: unknown): Promise<Response> {
  return app.request(
    '/api/v1/login',
    { method: 'POST', headers: { 'content-type': 'application/json', origin: SELF, ...headers }, body: JSON.stringify({ token: candidate }) },
    env,
  );
}

/** `im_session=<id>` from a login's Set-Cookie, ready for a Cookie header. */
async function sessionCookie(app: Hono): Promise<string> {
  const res = await login(app);
  expect(res.status).toBe(200);
  const pair = res.headers.get('set-cookie')?.split(';')[0];
  if (!pair?.startsWith(`${SESSION_COOKIE}=`)) throw new Error(`no session cookie in ${String(pair)}`);
  return pair;
}

const put = (app: Hono, headers: Record<string, string>, env?: unknown) =>
  app.request('/api/v1/thing', { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: '{}' }, env);

beforeEach(() => {
  nowMs = Date.UTC(2026, 0, 10, 12, 0, 0);
  token = TOKEN;
});

describe('admin middleware: Bearer', () => {
  it('no credential → 401 admin_required, explaining how to get one', async () => {
    const res = await put(makeApp(), {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="inference-mesh"');
    expect(await res.json()).toEqual({ error: { code: 'admin_required', message: ADMIN_REQUIRED_MESSAGE } });
    expect(ADMIN_REQUIRED_MESSAGE).toContain('inference-mesh admin-token');
  });

  it('wrong bearer → 403 admin_token_wrong', async () => {
    const res = await put(makeApp(), { authorization: `Bearer ${TOKEN.slice(1)}x` });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'admin_token_wrong', message: 'the admin credential is wrong' } });
  });

  it('right bearer → 200, with no Origin check (browsers never add Authorization themselves)', async () => {
    const app = makeApp();
    expect((await put(app, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await put(app, { authorization: `bearer ${TOKEN}`, origin: 'https://evil.example' })).status).toBe(200);
  });

  it('another scheme is not a credential → 401', async () => {
    const res = await put(makeApp(), { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` });
    expect(res.status).toBe(401);
  });

  it('503 while the agent has not loaded its token yet', async () => {
    token = null;
    const res = await put(makeApp(), { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('admin_unavailable');
  });
});

describe('login, session cookie and CSRF', () => {
  it('login with a wrong token → 403 in plain words, no cookie', async () => {
    const res = await login(makeApp(), 'not-the-token');
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('admin_token_wrong');
    expect(body.error.message).toMatch(/^the admin credential is wrong/);
  });

  it('login with a malformed body → 400, not counted as a guess', async () => {
    const res = await makeApp().request('/api/v1/login', { method: 'POST', body: '{"tok":1}' });
    expect(res.status).toBe(400);
  });

  it('login right → an HttpOnly, SameSite=Strict, Path=/ session cookie lasting the TTL', async () => {
    const res = await login(makeApp());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ admin: true, expiresAtMs: nowMs + DEFAULT_SESSION_TTL_MS });
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain(`Max-Age=${DEFAULT_SESSION_TTL_MS / 1000}`);
    expect(cookie).not.toContain('Secure');
    // The cookie is a random session id, not the credential.
    expect(cookie).not.toContain(TOKEN);
  });

  it('secureCookies marks the cookie Secure (behind HTTPS)', async () => {
    const res = await login(makeApp({ secureCookies: true }));
    expect(res.headers.get('set-cookie')).toContain('Secure');
  });

  it('a cross-site login is refused; one from a non-browser client (no Origin) is fine', async () => {
    const app = makeApp();
    const cross = await login(app, TOKEN, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect(((await cross.json()) as { error: { code: string } }).error.code).toBe('csrf');
    const res = await app.request('/api/v1/login', { method: 'POST', body: JSON.stringify({ token: TOKEN }) });
    expect(res.status).toBe(200);
  });

  it('cookie + same Origin → 200', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    expect((await put(app, { cookie, origin: SELF })).status).toBe(200);
    // The default port is the same origin; host names compare case-insensitively.
    expect((await put(app, { cookie, origin: 'http://LOCALHOST:80' })).status).toBe(200);
  });

  it('cookie + same-origin Referer (no Origin) → 200', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    expect((await put(app, { cookie, referer: `${SELF}/settings?tab=peers` })).status).toBe(200);
  });

  it('the own origin comes from the Host header', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    expect((await put(app, { cookie, host: 'mesh.lan:7650', origin: 'http://mesh.lan:7650' })).status).toBe(200);
    expect((await put(app, { cookie, host: 'mesh.lan:7650', origin: SELF })).status).toBe(403);
  });

  it.each([
    ['another site', { origin: 'https://evil.example' }, 'Origin https://evil.example'],
    ['another port', { origin: 'http://localhost:8080' }, 'Origin http://localhost:8080'],
    ['another scheme', { origin: 'https://localhost' }, 'Origin https://localhost'],
    ['an opaque origin', { origin: 'null' }, 'Origin null'],
    ['a cross-site Referer', { referer: 'https://evil.example/page' }, 'Referer origin https://evil.example'],
  ])('cookie + %s → 403 csrf', async (_what, headers, shown) => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    const res = await put(app, { cookie, ...headers });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: { code: 'csrf', message: `this change came from another site (${shown}); refused to protect your settings` },
    });
  });

  it('cookie + no Origin and no Referer on PUT → 403 csrf', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    const res = await put(app, { cookie });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('csrf');
    expect(body.error.message).toMatch(/without an Origin or Referer/);
  });

  it('cookie on a safe method needs no Origin', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    expect((await app.request('/api/v1/thing', { headers: { cookie } })).status).toBe(200);
  });

  it('GET /session says whether the caller is admin (cookie or bearer)', async () => {
    const app = makeApp();
    expect(await (await app.request('/api/v1/session')).json()).toEqual({ admin: false });
    const cookie = await sessionCookie(app);
    const res = await app.request('/api/v1/session', { headers: { cookie } });
    expect(await res.json()).toEqual({ admin: true });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await (await app.request('/api/v1/session', { headers: { authorization: `Bearer ${TOKEN}` } })).json()).toEqual({ admin: true });
    expect(await (await app.request('/api/v1/session', { headers: { cookie: `${SESSION_COOKIE}=forged` } })).json()).toEqual({ admin: false });
  });

  it('logout clears the cookie and ends the session on the server (a copied cookie stops working)', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    const res = await app.request('/api/v1/logout', { method: 'POST', headers: { cookie, origin: SELF } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ admin: false });
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
    expect(await (await app.request('/api/v1/session', { headers: { cookie } })).json()).toEqual({ admin: false });
    const stale = await put(app, { cookie, origin: SELF });
    expect(stale.status).toBe(401);
  });

  it('an expired session → 401 saying so, and the cookie is cleared', async () => {
    const app = makeApp({ sessionTtlMs: 60_000 });
    const cookie = await sessionCookie(app);
    nowMs += 59_999;
    expect((await put(app, { cookie, origin: SELF })).status).toBe(200);
    nowMs += 1;
    const res = await put(app, { cookie, origin: SELF });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('admin_required');
    expect(body.error.message).toMatch(/expired/);
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('a new admin token ends sessions opened with the old one', async () => {
    const app = makeApp();
    const cookie = await sessionCookie(app);
    token = 'a-completely-different-admin-token-0123456789';
    expect((await put(app, { cookie, origin: SELF })).status).toBe(401);
  });

  it('logging in again issues a fresh session id and drops the old one', async () => {
    const app = makeApp();
    const first = await sessionCookie(app);
    const res = await login(app, TOKEN, { cookie: first });
    const second = res.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(second).not.toBe(first);
    expect((await put(app, { cookie: first, origin: SELF })).status).toBe(401);
    expect((await put(app, { cookie: second, origin: SELF })).status).toBe(200);
  });

  it('refuses a session TTL browsers would not keep', () => {
    expect(() => createAdminAuth({ token: () => TOKEN, nowMs: () => 0, sessionTtlMs: 401 * 86_400_000 })).toThrow(/sessionTtlMs/);
  });
});

describe('failed-login limit', () => {
  it(`allows ${FAILED_LOGIN_LIMIT} failures a minute per address, then 429 (even for the right token) until the window passes`, async () => {
    const app = makeApp();
    const me = from('192.168.1.50');
    // One failure a second: at 0 s, 1 s, … 9 s; "now" is then 10 s.
    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++) {
      expect((await login(app, `guess-${i}`, {}, me)).status).toBe(403);
      nowMs += 1000;
    }
    const limited = await login(app, TOKEN, {}, me);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: { code: 'too_many_failures', message: 'too many failed logins; wait a minute' } });
    // The first failure was 10 s ago: it leaves the one-minute window in 50 s.
    expect(limited.headers.get('retry-after')).toBe('50');
    // Bearer guesses from that address are held back too.
    expect((await put(app, { authorization: `Bearer ${TOKEN}` }, me)).status).toBe(429);

    // Another address is not affected (IPv4-mapped IPv6 is the same address as IPv4).
    expect((await login(app, TOKEN, {}, from('192.168.1.51'))).status).toBe(200);
    expect((await login(app, TOKEN, {}, from('::ffff:192.168.1.50'))).status).toBe(429);

    // Once the oldest failure is a minute old, one more attempt is allowed.
    nowMs += FAILED_LOGIN_WINDOW_MS - FAILED_LOGIN_LIMIT * 1000;
    expect((await login(app, TOKEN, {}, me)).status).toBe(200);
  });

  it('counts wrong bearers as failures', async () => {
    const app = makeApp();
    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++) expect((await put(app, { authorization: `Bearer wrong-${i}` })).status).toBe(403);
    expect((await put(app, { authorization: `Bearer ${TOKEN}` })).status).toBe(429);
    expect((await login(app)).status).toBe(429);
    nowMs += FAILED_LOGIN_WINDOW_MS;
    expect((await put(app, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});
