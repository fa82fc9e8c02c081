/**
 * Browser-test helpers: Debian's Chromium through playwright-core, launched exactly as
 * TOOLCHAIN.md "Browser tests" says (never `npx playwright install`), and the page checks every
 * UI test wants: no sideways scrolling, and an accessible name on every form control.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export const DESKTOP = { width: 1280, height: 900 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export type Viewport = 'desktop' | 'phone';

/** A fresh context (own cookies) at desktop or phone size; the phone one honours the meta viewport. */
export function newContext(browser: Browser, viewport: Viewport): Promise<BrowserContext> {
  return viewport === 'desktop'
    ? browser.newContext({ viewport: DESKTOP })
    : browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
}

/** Collects what the page complains about (uncaught errors, console errors such as CSP refusals). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/** How far the document is wider than the viewport (0 = no sideways scrolling), and what sticks out. */
export async function overflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; wide: string[] }> {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const wide: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > doc.clientWidth + 1) {
        wide.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} right=${Math.round(r.right)}`);
      }
    }
    return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide: wide.slice(0, 10) };
  });
}

/**
 * Form controls without a label, by the DOM rules: an <input>/<select>/<textarea> needs a <label>
 * (for= or wrapping), aria-label, or aria-labelledby pointing at text; a <button> needs text or
 * aria-label. Hidden inputs are skipped. Returns a description of each unlabelled control.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    const describe = (el: Element): string => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}`;
    const labelledBy = (el: Element): string =>
      (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ')
        .trim();
    for (const el of Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'))) {
      if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
      const fromLabels = Array.from(el.labels ?? []).map((l) => l.textContent ?? '').join(' ').trim();
      const aria = (el.getAttribute('aria-label') ?? '').trim();
      if (!fromLabels && !aria && !labelledBy(el)) bad.push(describe(el));
    }
    for (const el of Array.from(document.querySelectorAll('button'))) {
      const name = (el.getAttribute('aria-label') ?? '').trim() || labelledBy(el) || (el.textContent ?? '').trim();
      if (!name) bad.push(describe(el));
    }
    return bad;
  });
}

const CONTROL_ROLES = new Set(['textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton', 'slider', 'switch', 'button']);

/**
 * The same question asked of Chromium's own accessibility tree (what a screen reader gets): every
 * exposed control role must have a non-empty computed name. Returns `role` entries without one.
 */
export async function namelessInAxTree(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: { ignored: boolean; role?: { value?: unknown }; name?: { value?: unknown }; backendDOMNodeId?: number }[];
    };
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return nodes
      .filter((n) => !n.ignored && CONTROL_ROLES.has(text(n.role?.value)))
      .filter((n) => text(n.name?.value).trim() === '')
      .map((n) => `${text(n.role?.value)} (backend node ${n.backendDOMNodeId ?? '?'})`);
  } finally {
    await cdp.detach();
  }
}

/**
 * Elements that carry the `hidden` attribute but are still laid out (a CSS `display` rule beats the
 * browser's `[hidden] { display: none }`): the page shows what it meant to hide.
 */
export async function shownDespiteHidden(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('[hidden]'))
      .filter((el) => getComputedStyle(el).display !== 'none')
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} (display: ${getComputedStyle(el).display})`),
  );
}
