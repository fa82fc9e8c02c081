/**
 * The web UI (issue 6): four server-rendered pages and their assets, as a Hono app to mount at `/`.
 * Handlers read the agent through `WebDeps` getters on every request. No middleware is registered
 * here: `app.route('/', webRoutes(deps))` would apply a `use('*')` to the API routes as well, so
 * each page sets its own headers.
 */
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { assetRoutes } from './assets.js';
import type { WebDeps } from './deps.js';
import { Layout, type PageName } from './layout.js';
// Each page (with its components and view helpers) is imported on its first request: an agent
// nobody browses does not hold them (issue 14: idle RSS; npm run bench:modules).

export type { WebDeps } from './deps.js';

/**
 * Scripts and styles only from our own origin, no inline code, no framing (the setup page changes
 * settings: clickjacking). connect-src 'self' covers fetch and the EventSource.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function page(c: Context, deps: WebDeps, name: PageName, title: string, body: JSX.Element): Response | Promise<Response> {
  c.header('Content-Security-Policy', CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  // The pages show live state: a cached copy would show a stale placement after Back.
  c.header('Cache-Control', 'no-store');
  // same-origin keeps the Referer the admin CSRF check may fall back on, and sends none elsewhere.
  c.header('Referrer-Policy', 'same-origin');
  const doc = (
    <Layout page={name} title={title} selfName={deps.selfName()} zone={deps.displayZone}>
      {body}
    </Layout>
  );
  return c.html(html`<!DOCTYPE html>${doc}`);
}

export function webRoutes(deps: WebDeps): Hono {
  const app = new Hono();
  app.route('/', assetRoutes());
  app.get('/', async (c) => {
    const { OverviewPage } = await import('./pages/overview.js');
    return page(c, deps, 'overview', 'Overview', <OverviewPage nodes={deps.nodes()} placement={deps.placement()} nowMs={deps.nowMs()} zone={deps.displayZone} />);
  });
  app.get('/speed', async (c) => {
    const { SpeedPage } = await import('./pages/speed.js');
    return page(c, deps, 'speed', 'Speed', <SpeedPage nodes={deps.nodes()} nowMs={deps.nowMs()} />);
  });
  app.get('/timeline', async (c) => {
    const { TimelinePage } = await import('./pages/timeline.js');
    // No sinceMs: the placement entry just before the 24-hour view says who served at its start.
    const history = deps.history({});
    return page(c, deps, 'timeline', 'Timeline', <TimelinePage nodes={deps.nodes()} history={history} nowMs={deps.nowMs()} zone={deps.displayZone} />);
  });
  app.get('/activity', async (c) => {
    const { ActivityPage } = await import('./pages/activity.js');
    return page(
      c,
      deps,
      'activity',
      'Activity',
      <ActivityPage requests={deps.recentRequests()} history={deps.history({})} nowMs={deps.nowMs()} zone={deps.displayZone} />,
    );
  });
  app.get('/setup', async (c) => {
    const { SetupPage } = await import('./pages/setup.js');
    return page(c, deps, 'setup', 'Setup', <SetupPage nodes={deps.nodes()} nowMs={deps.nowMs()} zone={deps.displayZone} />);
  });
  // Login lives on the setup page, next to what it unlocks.
  app.get('/login', (c) => c.redirect('/setup#login', 302));
  return app;
}
