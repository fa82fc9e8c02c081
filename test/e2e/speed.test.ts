/**
 * The Speed page (issue 15) in real Chromium, with realistic figures (test/unit/web/speed-fixtures.ts:
 * the hub 8 tokens/s, the gaming PC 120, two models): no sideways scrolling at desktop or phone
 * width, bars as long as their figures say, no CSP complaints. The web routes alone are served (no
 * agent): the page only reads the registry's adverts. Screenshots go to test/e2e/screenshots/
 * (speed-desktop.png, speed-phone.png); docs/screenshots/ holds the reviewed copies.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../../web/routes.js';
import { withSpeed } from '../unit/web/speed-fixtures.js';
import { NOW, meshNodes, webDeps } from '../unit/web/web-fixtures.js';
import { launchBrowser, newContext, overflow, watchErrors, type Viewport } from './browser.js';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
let browser: Browser | undefined;
let server: ServerType | undefined;
let base = '';

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  const nodes = withSpeed(meshNodes(NOW), NOW);
  const app = webRoutes(webDeps({ nodes: () => nodes }));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  base = `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

describe('Speed page in Chromium', () => {
  for (const viewport of ['desktop', 'phone'] as const satisfies readonly Viewport[]) {
    it(`${viewport}: fits the width, bars scale with the figures, figures readable`, async () => {
      if (!browser) throw new Error('browser not launched');
      const context = await newContext(browser, viewport);
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        await page.goto(`${base}/speed`);
        const o = await overflow(page);
        expect(o.wide, 'nothing sticks out').toEqual([]);
        expect(o.scrollWidth).toBeLessThanOrEqual(o.clientWidth);
        // The first chart (llama3.2:3b): gaming-pc 120, workstation 95.4, hub 8 tok/s.
        const widths = await page.locator('section.speed').first().locator('rect.bar-fill').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
        const track = await page.locator('section.speed').first().locator('rect.bar-track').first().evaluate((e) => e.getBoundingClientRect().width);
        expect(widths[0]).toBeCloseTo(track, 0);
        expect((widths[1] ?? 0) / track).toBeCloseTo(95.4 / 120, 1);
        expect((widths[2] ?? 0) / track).toBeCloseTo(8 / 120, 1);
        expect(track).toBeGreaterThan(viewport === 'phone' ? 150 : 500);
        await expect(page.locator('section.speed').first().locator('.bar-value').allInnerTexts()).resolves.toEqual(['120 tok/s', '95.4 tok/s', '8.0 tok/s']);
        await page.screenshot({ path: `${SHOTS}speed-${viewport}.png`, fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('the overview card shows the figures for what the node ran', async () => {
    if (!browser) throw new Error('browser not launched');
    const context = await newContext(browser, 'phone');
    try {
      const page = await context.newPage();
      await page.goto(`${base}/`);
      // Only the web routes are served here: the live updates' event stream is absent, and not needed.
      const card = page.locator('#node-' + '2'.repeat(32));
      await expect(card.locator('dt', { hasText: 'Speed' }).locator('xpath=..').innerText()).resolves.toMatch(/Speed\s+llama3\.2:3b: 120 tok\/s\s+llama3\.1:8b: 74\.2 tok\/s/);
      await card.screenshot({ path: `${SHOTS}speed-card-phone.png` });
    } finally {
      await context.close();
    }
  });
});
