/**
 * The web UI in real Chromium (DESIGN.md §7): playwright-core with Debian's chromium, launched as
 * TOOLCHAIN.md "Browser tests" says. A two-agent mesh on loopback with static peers (mDNS off, so
 * nothing leaves the machine), built as in test/integration/proxy.test.ts: a hub and a gaming PC
 * (fake nvidia-smi), each with a fake Ollama and a fake Immich ML.
 *
 * Screenshots of every page at desktop and phone width go to test/e2e/screenshots/ (ignored by
 * git): look at them after a UI change.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../../agent/config-schema.js';
import { createFakeImmichMl, type FakeImmichMl } from '../fakes/fake-immich-ml.js';
import { createFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { createFakeExec, ok } from '../fakes/io.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { eventually, freePort } from '../helpers/cli.js';
import { launchBrowser, namelessInAxTree, newContext, overflow, PHONE, shownDespiteHidden, unlabelledControls, watchErrors, type Viewport } from './browser.js';

const KEY = 'e2e-ui-test-mesh-key-0123456789ab';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
/** Bounded waits for things the agent does on its own (probes every 1 s, health checks every 200 ms). */
const WAIT_MS = 15_000;

const PAGES = [
  { name: 'overview', path: '/' },
  { name: 'speed', path: '/speed' },
  { name: 'timeline', path: '/timeline' },
  { name: 'activity', path: '/activity' },
  { name: 'setup', path: '/setup' },
] as const;

interface SettingsBody {
  services: { ollama: { url: string }; 'immich-ml': { url: string } };
  offer: { coolDownSec: number };
  overridden: string[];
}

interface PlacementBody {
  kinds: { ollama: { elected: string | null } };
}

let browser: Browser | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
let hub: TestAgent;
let pc: TestAgent;
let hubOllama: FakeOllama;
let pcOllama: FakeOllama;
/** A third Ollama, on "another computer", for the setup page's Test connection. */
let remoteOllama: FakeOllama;

async function started<T extends { start(): Promise<void>; stop(): Promise<void> }>(fake: T): Promise<T> {
  await fake.start();
  cleanups.push(() => fake.stop());
  return fake;
}

async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

async function adminToken(agent: TestAgent): Promise<string> {
  const header = (await agent.admin()).authorization ?? '';
  const token = header.replace(/^Bearer /, '');
  expect(token).not.toBe('');
  return token;
}

beforeAll(async () => {
  browser = await launchBrowser();
  await mkdir(SHOTS, { recursive: true });

  hubOllama = await started(createFakeOllama({ models: [{ name: 'llama3.2:3b' }, { name: 'all-minilm' }] }));
  pcOllama = await started(createFakeOllama({ models: [{ name: 'llama3.1:8b' }, { name: 'llama3.2:3b' }] }));
  remoteOllama = await started(createFakeOllama({ models: [{ name: 'qwen2.5:7b' }, { name: 'nomic-embed-text' }] }));
  const hubMl: FakeImmichMl = await started(createFakeImmichMl({}));
  const pcMl: FakeImmichMl = await started(createFakeImmichMl({}));
  const base = (name: string, ollama: FakeOllama, ml: FakeImmichMl): AgentConfigInput => ({
    node: { name },
    mesh: { key: KEY },
    services: { ollama: { url: ollama.url }, 'immich-ml': { url: ml.url } },
    probes: { servicesIntervalSec: 1 },
  });
  pc = await startTestAgent({
    config: { ...base('gaming-pc', pcOllama, pcMl), discovery: { mdns: { enabled: false }, healthIntervalMs: 200 } },
    deps: { exec: createFakeExec({ 'nvidia-smi': ok('NVIDIA GeForce RTX 4080, 00000000:01:00.0, 16376, 1200, 3\n') }) },
  });
  cleanups.push(() => pc.stop());
  hub = await startTestAgent({
    config: { ...base('hub', hubOllama, hubMl), discovery: { mdns: { enabled: false }, healthIntervalMs: 200, peers: [pc.url] } },
  });
  cleanups.push(() => hub.stop());
  // Both nodes' services probed and the gaming PC (the GPU) elected for Ollama.
  await eventually(async () => {
    const p = await getJson<PlacementBody>(`${hub.url}/api/v1/placement`);
    return p.kinds.ollama.elected === pc.agent.nodeId() ? true : undefined;
  });
});

afterAll(async () => {
  // The browser first, so no open EventSource keeps an agent's stop() waiting.
  await browser?.close();
  while (cleanups.length) await cleanups.pop()?.();
});

/** A page in a fresh context; the context is closed again by `close()`, also when the test fails. */
async function open(viewport: Viewport, path: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  if (!browser) throw new Error('browser not launched');
  const context = await newContext(browser, viewport);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${hub.url}${path}`);
  return { context, page, errors };
}

/** The overview's EventSource is connected (the footer says so). */
async function waitLive(page: Page): Promise<void> {
  await page.locator('#live-status', { hasText: 'Live: changes appear as they happen.' }).waitFor({ timeout: WAIT_MS });
}

/** The setup page has loaded the settings and knows whether it is logged in. */
async function waitSetupReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      (document.getElementById('load-status')?.textContent ?? 'x') === '' &&
      !(document.getElementById('session-status')?.textContent ?? '').startsWith('Checking'),
    undefined,
    { timeout: WAIT_MS },
  );
}

async function ready(page: Page, name: (typeof PAGES)[number]['name']): Promise<void> {
  if (name === 'overview' || name === 'activity') await waitLive(page);
  if (name === 'setup') await waitSetupReady(page);
}

function cardOf(page: Page, agent: TestAgent) {
  return page.locator(`#node-${agent.agent.nodeId()}`);
}

describe('overview', () => {
  it('shows a card per node with its name and state in words, and the summary lines', async () => {
    const { context, page, errors } = await open('desktop', '/');
    try {
      await waitLive(page);
      const cards = page.locator('#nodes > li.card');
      await expect.poll(() => cards.count(), { timeout: WAIT_MS }).toBe(2);

      const hubCard = cardOf(page, hub);
      const pcCard = cardOf(page, pc);
      await expect.poll(() => hubCard.locator('h3').innerText()).toMatch(/^hub\s+this node$/);
      expect(await pcCard.locator('h3').innerText()).toBe('gaming-pc');
      // State in words (not the registry's up/suspect/down) with its coloured dot hidden from AT.
      expect(await hubCard.locator('.state strong').innerText()).toBe('online');
      expect(await pcCard.locator('.state strong').innerText()).toBe('online');
      expect(await pcCard.locator('.dot').getAttribute('aria-hidden')).toBe('true');
      // The hub is eligible but not chosen: its card says who comes first (issue 16).
      expect(await hubCard.locator('.state').innerText()).toMatch(/standing by: gaming-pc comes first/);
      const pcText = await pcCard.innerText();
      expect(pcText).toContain('NVIDIA GeForce RTX 4080');
      expect(pcText).toMatch(/Serves Ollama.* now/);
      expect(pcText).toMatch(/Ollama\s+running · version 0\.33\.0/);
      expect(pcText).toContain('llama3.1:8b');
      expect(await hubCard.innerText()).toMatch(/GPU\s+none \(CPU only\)/);

      const ollamaLine = await page.locator('#summary li[data-kind="ollama"]').innerText();
      expect(ollamaLine).toMatch(/^Ollama → gaming-pc \(RTX 4080\) — /);
      expect(await page.locator('#summary li[data-kind="immich-ml"]').innerText()).toMatch(/^Immich ML → (hub|gaming-pc)/);
      expect(await page.locator('#summary').getAttribute('aria-live')).toBe('polite');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('screenshots and layout of every page', () => {
  beforeAll(async () => {
    // One routed request, so the activity page has a row to lay out.
    const res = await fetch(`${hub.url}/ollama/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'hi', stream: false }) });
    expect(res.status).toBe(200);
  });

  for (const viewport of ['desktop', 'phone'] as const) {
    for (const p of PAGES) {
      it(`${p.name} at ${viewport} width: screenshot, no sideways scrolling, every control labelled`, async () => {
        const { context, page, errors } = await open(viewport, p.path);
        try {
          await ready(page, p.name);
          await page.screenshot({ path: `${SHOTS}${p.name}-${viewport}.png`, fullPage: true });
          if (viewport === 'phone') {
            const o = await overflow(page);
            expect(o.wide, 'elements sticking out on the right').toEqual([]);
            expect(o.scrollWidth).toBeLessThanOrEqual(PHONE.width);
          }
          expect(await unlabelledControls(page)).toEqual([]);
          expect(await namelessInAxTree(page)).toEqual([]);
          expect(errors).toEqual([]);
        } finally {
          await context.close();
        }
      });
    }
  }

  it('what a page marks hidden stays hidden, on every page at both widths', async () => {
    const found: string[] = [];
    for (const viewport of ['desktop', 'phone'] as const) {
      for (const p of PAGES) {
        const { context, page } = await open(viewport, p.path);
        try {
          await ready(page, p.name);
          for (const el of await shownDespiteHidden(page)) found.push(`${p.name} at ${viewport} width: ${el}`);
        } finally {
          await context.close();
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('the setup form is reachable by its labels', async () => {
    const { context, page } = await open('desktop', '/setup');
    try {
      await waitSetupReady(page);
      for (const label of [
        'On this computer itself',
        'On another computer',
        'Ollama address',
        'Immich ML address',
        'Time zone of the windows',
        'Games and programs that take this computer out while they run',
        'VRAM to keep free for the owner (MB)',
        'Cool-down after a game ends (seconds)',
        'Ollama: preferred computers, best first',
        'Immich ML: computers that may do the indexing',
        'Admin credential',
        'Settings of',
      ]) {
        expect(await page.getByLabel(label, { exact: true }).count(), label).toBe(1);
      }
      // A window row, added by the client once logged in (the form is read-only before): its days and times are labelled too.
      await page.getByLabel('Admin credential').fill(await adminToken(hub));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#session-status', { hasText: 'You are logged in as admin.' }).waitFor({ timeout: WAIT_MS });
      await page.getByRole('button', { name: 'Add a window' }).click();
      expect(await page.getByLabel('From').count()).toBe(1);
      expect(await page.getByLabel('To', { exact: true }).count()).toBe(1);
      expect(await page.getByLabel('Mon').count()).toBe(1);
      expect(await page.getByRole('button', { name: 'Remove window 1' }).count()).toBe(1);
      expect(await unlabelledControls(page)).toEqual([]);
      expect(await namelessInAxTree(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('live updates', () => {
  it("the gaming PC's Ollama stops: its card and the summary change without a reload", async () => {
    const { context, page, errors } = await open('desktop', '/');
    try {
      await waitLive(page);
      let navigations = 0;
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) navigations++;
      });
      await page.evaluate(() => {
        (window as unknown as { __marker?: number }).__marker = 1;
      });
      const pcId = pc.agent.nodeId();
      expect(await page.locator('#summary li[data-kind="ollama"]').innerText()).toMatch(/^Ollama → gaming-pc/);

      await pcOllama.stop();

      // The card's Ollama row says down, and Ollama moves to the hub in the summary.
      await page.waitForFunction(
        (id) => {
          const card = document.getElementById(`node-${id}`);
          const summary = document.querySelector('#summary li[data-kind="ollama"]');
          return !!card && /Ollama\s*not running/.test(card.innerText) && !!summary && /^Ollama → hub/.test(summary.textContent ?? '');
        },
        pcId,
        { timeout: WAIT_MS },
      );
      expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1);
      expect(navigations).toBe(0);
      const card = await cardOf(page, pc).innerText();
      expect(card).toMatch(/Ollama\s+not running/);
      expect(card).not.toMatch(/Serves Ollama /);
      // The dot follows the services: the machine answers, its Ollama does not (issue 16).
      expect(await cardOf(page, pc).getAttribute('data-state')).toBe('service-down');
      expect(card).toMatch(/online, not serving — Ollama is not running/);
      // Plain words on the page; the socket error only behind the card's "details" (issue 16).
      const overview = await page.locator('main').innerText();
      expect(overview).not.toMatch(/connection refused|ECONNREFUSED/);
      await cardOf(page, pc).locator('details.why summary').first().click();
      expect(await cardOf(page, pc).innerText()).toMatch(/connection refused/);
      expect(await page.locator('#summary li[data-kind="ollama"]').innerText()).toMatch(/^Ollama → hub \(CPU\) — /);
      // Said to screen readers through the summary's polite live region (the card is not one).
      expect(await page.locator('#summary').getAttribute('aria-live')).toBe('polite');
      await page.screenshot({ path: `${SHOTS}overview-ollama-down-desktop.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('setup', () => {
  it('log in, test a remote Ollama (reachable, then refused), save the cool-down', async () => {
    const { context, page, errors } = await open('desktop', '/setup');
    try {
      await waitSetupReady(page);
      expect(await page.locator('#session-status').innerText()).toBe('You are not logged in: changes need the admin credential (log in below).');
      await page.getByLabel('Admin credential').fill(await adminToken(hub));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#session-status', { hasText: 'You are logged in as admin.' }).waitFor({ timeout: WAIT_MS });
      expect(await page.locator('#login').isHidden()).toBe(true);
      expect(await page.getByRole('button', { name: 'Save' }).isVisible()).toBe(true);

      await page.getByLabel('On another computer').check();
      expect(await page.getByLabel('Pick a computer found on your network').isVisible()).toBe(true);
      const ollamaUrl = page.getByLabel('Ollama address', { exact: true });
      const test = page.locator('button.test[data-for="f-services-ollama-url"]');
      const result = page.locator('#f-services-ollama-url-result');

      await ollamaUrl.fill(remoteOllama.url);
      await test.click();
      await result.locator('xpath=self::*[contains(@class, "ok")]').waitFor({ timeout: WAIT_MS });
      const reachable = await result.innerText();
      expect(reachable).toMatch(/^Reachable: Ollama 0\.33\.0, 2 models: /);
      expect(reachable).toContain('qwen2.5:7b');
      expect(reachable).toContain('nomic-embed-text');
      await page.screenshot({ path: `${SHOTS}setup-tested-desktop.png`, fullPage: true });

      const closed = await freePort();
      await ollamaUrl.fill(`http://127.0.0.1:${closed}`);
      await test.click();
      await result.locator('xpath=self::*[contains(@class, "bad")]').waitFor({ timeout: WAIT_MS });
      expect(await result.innerText()).toMatch(/^Not reachable: .*connection refused/);

      // Save one change from a fresh load (the address typed above is not meant to be saved).
      const before = await getJson<SettingsBody>(`${hub.url}/api/v1/settings`);
      const coolDown = before.offer.coolDownSec + 17;
      await page.reload();
      await waitSetupReady(page);
      expect(await page.locator('#session-status').innerText()).toBe('You are logged in as admin.'); // the cookie survives a reload
      await page.getByLabel('Cool-down after a game ends (seconds)').fill(String(coolDown));
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#saved-msg').waitFor({ timeout: WAIT_MS });
      expect(await page.locator('#saved-msg').innerText()).toBe('Saved — in effect now.');
      const after = await getJson<SettingsBody>(`${hub.url}/api/v1/settings`);
      expect(after.offer.coolDownSec).toBe(coolDown);
      expect(after.services.ollama.url).toBe(before.services.ollama.url);
      expect(await page.getByLabel('Cool-down after a game ends (seconds)').inputValue()).toBe(String(coolDown));
      // Only the edited key overrides the config file, and the page says which and how to undo it (issue 12).
      expect(after.overridden).toEqual(['offer.coolDownSec']);
      expect(await page.locator('#overlay-note').innerText()).toBe(
        'Saved here, these override agent.config.json: offer.coolDownSec. Edits of them in the file are ignored until you run: inference-mesh settings reset offer.coolDownSec.',
      );
      await page.screenshot({ path: `${SHOTS}setup-saved-desktop.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("from the hub's page, the gaming PC's own settings: load, change, save there (issue 16)", async () => {
    const { context, page, errors } = await open('desktop', '/setup');
    try {
      await waitSetupReady(page);
      await page.getByLabel('Admin credential').fill(await adminToken(hub));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#session-status', { hasText: 'You are logged in as admin.' }).waitFor({ timeout: WAIT_MS });
      const pcBefore = await getJson<SettingsBody>(`${pc.url}/api/v1/settings`);
      await page.getByLabel('Settings of').selectOption(pc.agent.nodeId());
      // The form now shows the PC's own addresses (its Ollama, not the hub's).
      await page.waitForFunction((url) => (document.getElementById('f-services-ollama-url') as HTMLInputElement | null)?.value === url, pcBefore.services.ollama.url, { timeout: WAIT_MS });
      await page.waitForFunction(() => !(document.getElementById('save') as HTMLButtonElement | null)?.disabled, undefined, { timeout: WAIT_MS });
      const coolDown = pcBefore.offer.coolDownSec + 23;
      await page.getByLabel('Cool-down after a game ends (seconds)').fill(String(coolDown));
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#saved-msg').waitFor({ timeout: WAIT_MS });
      expect(await page.locator('#saved-msg').innerText()).toBe('Saved on gaming-pc — in effect there now.');
      expect((await getJson<SettingsBody>(`${pc.url}/api/v1/settings`)).offer.coolDownSec).toBe(coolDown);
      expect((await getJson<SettingsBody>(`${hub.url}/api/v1/settings`)).offer.coolDownSec).not.toBe(coolDown);
      await page.screenshot({ path: `${SHOTS}setup-other-computer-desktop.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without the credential, changes are refused in plain words and nothing changes', async () => {
    const before = await getJson<SettingsBody>(`${hub.url}/api/v1/settings`);
    const { context, page } = await open('desktop', '/setup');
    try {
      await waitSetupReady(page);
      expect(await page.locator('#session-status').innerText()).toBe('You are not logged in: changes need the admin credential (log in below).');
      expect(await page.getByRole('button', { name: 'Save' }).isHidden()).toBe(true);
      expect(await page.getByLabel('Admin credential').isVisible()).toBe(true);

      // Read-only until logged in (issue 16): the fields and Test connection are off, the values shown.
      const coolDown = page.getByLabel('Cool-down after a game ends (seconds)');
      expect(await coolDown.isDisabled()).toBe(true);
      expect(await coolDown.inputValue()).toBe(String(before.offer.coolDownSec));
      expect(await page.locator('button.test[data-for="f-services-ollama-url"]').isDisabled()).toBe(true);
      // The login box comes before the settings, also on a phone.
      const loginBox = await page.locator('#login').boundingBox();
      const form = await page.locator('#settings-form').boundingBox();
      expect(loginBox && form && loginBox.y < form.y).toBe(true);

      // The API itself, called from the page (cookie-less, same origin): 401 admin_required.
      const api = await page.evaluate(async (coolDownSec) => {
        const res = await fetch('/api/v1/settings', {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ offer: { coolDownSec } }),
        });
        return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
      }, before.offer.coolDownSec + 1000);
      expect(api.status).toBe(401);
      expect(api.body.error.code).toBe('admin_required');
      expect(api.body.error.message).toMatch(/^changing settings needs the admin credential/);

      expect(await getJson<SettingsBody>(`${hub.url}/api/v1/settings`)).toEqual(before);
    } finally {
      await context.close();
    }
  });

  it('a login that has gone (cookie lost) when Save is pressed: the 401 is explained and the login form comes back', async () => {
    const before = await getJson<SettingsBody>(`${hub.url}/api/v1/settings`);
    const { context, page } = await open('phone', '/setup');
    try {
      await waitSetupReady(page);
      await page.getByLabel('Admin credential').fill(await adminToken(hub));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#session-status', { hasText: 'You are logged in as admin.' }).waitFor({ timeout: WAIT_MS });

      await context.clearCookies();
      await page.getByLabel('Cool-down after a game ends (seconds)').fill(String(before.offer.coolDownSec + 1000));
      await page.getByRole('button', { name: 'Save' }).click();
      await page
        .locator('#save-result', { hasText: 'You are not logged in (or your login has expired). Log in with the admin credential at the top of this page, then try again.' })
        .waitFor({ timeout: WAIT_MS });
      expect(await page.getByLabel('Admin credential').isVisible()).toBe(true);
      expect(await page.locator('#session-status').innerText()).toBe('You are not logged in: changes need the admin credential (log in below).');
      await page.screenshot({ path: `${SHOTS}setup-refused-phone.png`, fullPage: true });
      expect(await getJson<SettingsBody>(`${hub.url}/api/v1/settings`)).toEqual(before);
    } finally {
      await context.close();
    }
  });
});
