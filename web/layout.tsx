/**
 * The frame every page shares: header with this node's name, the main nav, one <main>, and the
 * live-status line the client script writes to. No inline script or style anywhere, so the pages
 * can be served with a strict Content-Security-Policy (web/routes.tsx).
 */
import type { FC, PropsWithChildren } from 'hono/jsx';
import { assetUrl } from './assets.js';

export type PageName = 'overview' | 'speed' | 'timeline' | 'activity' | 'setup';

const NAV: readonly { page: PageName; href: string; label: string }[] = [
  { page: 'overview', href: '/', label: 'Overview' },
  { page: 'speed', href: '/speed', label: 'Speed' },
  { page: 'timeline', href: '/timeline', label: 'Timeline' },
  { page: 'activity', href: '/activity', label: 'Activity' },
  { page: 'setup', href: '/setup', label: 'Setup' },
];

export interface LayoutProps {
  page: PageName;
  title: string;
  selfName: string;
  zone: string;
}

export const Layout: FC<PropsWithChildren<LayoutProps>> = ({ page, title, selfName, zone, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>{`${title} · ${selfName} · inference-mesh`}</title>
      {/* No favicon to serve: an empty one stops the browser asking for /favicon.ico (an API 404). */}
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={assetUrl('style.css')} />
      <script src={assetUrl('app.js')} defer></script>
      {page === 'setup' ? <script src={assetUrl('setup.js')} defer></script> : null}
    </head>
    <body data-page={page} data-zone={zone}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <p class="brand">
          inference-mesh <span class="sep" aria-hidden="true">·</span> <span class="self">{selfName}</span>
        </p>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li>
                <a href={n.href} aria-current={n.page === page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabindex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
      <footer>
        <p>
          Times are in {zone}. <span id="live-status" role="status"></span>
        </p>
      </footer>
    </body>
  </html>
);
