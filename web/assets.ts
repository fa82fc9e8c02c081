/**
 * The UI's stylesheet and scripts, embedded as strings (tsc copies no .js or .css into dist/, and
 * there is no build step). Each is hashed once at startup: pages link `/assets/<name>?v=<hash>`,
 * and a request carrying the current hash may be cached for good, because a new agent version
 * changes the hash and so the URL. A request without it is revalidated with the ETag.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { ADMIN_JS } from './static/admin-js.js';
import { LIVE_JS } from './static/live-js.js';
import { SETUP_JS } from './static/setup-js.js';
import { STYLE_CSS } from './static/style-css.js';
import { VIEW_JS } from './static/view-js.js';

/** RFC 9239 §6: text/javascript is the one JavaScript media type to send. */
export const JS_TYPE = 'text/javascript; charset=utf-8';
export const CSS_TYPE = 'text/css; charset=utf-8';

export type AssetName = 'style.css' | 'app.js' | 'setup.js';

interface Asset {
  body: string;
  type: string;
  version: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
}

const ASSETS: Record<AssetName, Asset> = {
  'style.css': asset(STYLE_CSS, CSS_TYPE),
  // One request for every page: the view helpers first, the live updates use them.
  'app.js': asset(`${VIEW_JS}\n${LIVE_JS}`, JS_TYPE),
  'setup.js': asset(`${ADMIN_JS}\n${SETUP_JS}`, JS_TYPE),
};

export function assetUrl(name: AssetName): string {
  return `/assets/${name}?v=${ASSETS[name].version}`;
}

export function assetRoutes(): Hono {
  const app = new Hono();
  for (const [name, a] of Object.entries(ASSETS)) {
    const etag = `"${a.version}"`;
    app.get(`/assets/${name}`, (c) => {
      c.header('ETag', etag);
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Cache-Control', c.req.query('v') === a.version ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (c.req.header('if-none-match') === etag) return c.body(null, 304);
      c.header('Content-Type', a.type);
      return c.body(a.body);
    });
  }
  return app;
}
