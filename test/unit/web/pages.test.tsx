import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { webRoutes } from '../../../web/routes.js';
import { GAMING_PC, HUB, WED, WORKSTATION, gamingPc, node } from '../../helpers/mesh-fixtures.js';
import { HTPC, LAPTOP, NAS, NOW, cards, textOf, webDeps } from './web-fixtures.js';

async function get(path: string, deps = webDeps()): Promise<{ res: Response; html: string }> {
  const res = await webRoutes(deps).request(path);
  return { res, html: await res.text() };
}

function expectHtmlPage(res: Response): void {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(res.headers.get('cache-control')).toBe('no-store');
}

/**
 * Every input, select and textarea has a label: a <label for=its id>, or a <label> around it.
 * (Radios and the window rows' checkboxes and times are wrapped; the rest use for=.)
 */
function unlabelledControls(html: string): string[] {
  const missing: string[] = [];
  for (const m of html.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
    const tag = m[0];
    const id = /\bid="([^"]+)"/.exec(tag)?.[1];
    const before = html.slice(0, m.index);
    const wrapped = before.lastIndexOf('<label') > before.lastIndexOf('</label>');
    if (!(wrapped || (id !== undefined && html.includes(`for="${id}"`)))) missing.push(tag);
  }
  return missing;
}

describe('web UI pages', () => {
  it('every page shares the layout: the node name in the header, the nav with the current page marked, landmarks, the script', async () => {
    for (const [path, label] of [['/', 'Overview'], ['/timeline', 'Timeline'], ['/activity', 'Activity'], ['/setup', 'Setup']] as const) {
      const { res, html } = await get(path);
      expectHtmlPage(res);
      expect(html.startsWith('<!DOCTYPE html><html lang="en">')).toBe(true);
      expect(html).toContain('<span class="self">hub</span>');
      expect(html).toContain(`<a href="${path}" aria-current="page">${label}</a>`);
      expect(html).toContain('<nav aria-label="Main">');
      expect(html).toContain('<main id="main"');
      expect(html).toContain(`<h1>${label}</h1>`);
      expect(html).toMatch(/<script src="\/assets\/app\.js\?v=[\w-]+" defer=""><\/script>/);
      expect(html).toContain('name="viewport" content="width=device-width, initial-scale=1"');
    }
  });

  describe('/ (overview)', () => {
    it('leads with who serves each kind and why: the better-ranked node that is out gives its reason', async () => {
      const { html } = await get('/');
      expect(html).toContain('<ul id="summary" class="summary" aria-live="polite">');
      expect(html).toContain('<li data-kind="ollama">Ollama → hub (CPU) — gaming-pc: outside window mon–fri 22:00–07:00, opens in 7 h 58 min</li>');
      expect(html).toContain(
        '<li data-kind="immich-ml">Immich ML → hub (CPU) — gaming-pc: outside window mon–fri 22:00–07:00, opens in 7 h 58 min; indexing waits until a GPU computer is offered</li>',
      );
      // The workstation's manual "out" ends at 16:02, but its game keeps it out: the next change is the PC's window.
      expect(html).toContain('Next scheduled change at 22:00 (in 7 h 58 min).');
    });

    it('inside the window the GPU node serves: "Ollama → gaming-pc (RTX 4080) — window open until 07:00"', async () => {
      const night = WED(23);
      const { html } = await get('/', webDeps({ nowMs: () => night }));
      expect(html).toContain('<li data-kind="ollama">Ollama → gaming-pc (RTX 4080) — window open until 07:00</li>');
      expect(html).toContain('<li data-kind="immich-ml">Immich ML → gaming-pc (RTX 4080) — window open until 07:00</li>');
      expect(textOf(cards(html).get(GAMING_PC) ?? '')).toContain('Serves Ollama and Immich ML now');
    });

    it('has a card per node with its state in words', async () => {
      const { html } = await get('/');
      const byId = cards(html);
      expect([...byId.keys()]).toEqual([HUB, GAMING_PC, WORKSTATION, HTPC, NAS, LAPTOP]);
      const state = (id: string) => /<strong>([^<]+)<\/strong>/.exec(byId.get(id) ?? '')?.[1];
      expect(state(HUB)).toBe('online');
      expect(state(GAMING_PC)).toBe('outside its window');
      expect(state(WORKSTATION)).toBe('in a game');
      expect(state(HTPC)).toBe('asleep');
      expect(state(NAS)).toBe('down');
      expect(state(LAPTOP)).toBe('not answering');
      expect(byId.get(WORKSTATION)).toContain('data-state="in-game"');
      expect(textOf(byId.get(WORKSTATION) ?? '')).toContain('in a game — game running: cs2.exe');
      expect(textOf(byId.get(HTPC) ?? '')).toContain('asleep — down since 12:02');
    });

    it('a card shows the GPU, VRAM used of total, GPU load, the models (loaded ones marked) and when the node was last seen', async () => {
      const { html } = await get('/');
      const pc = textOf(cards(html).get(GAMING_PC) ?? '');
      expect(pc).toContain('GPU NVIDIA GeForce RTX 4080');
      expect(pc).toContain('VRAM 1.2 GB used of 16.0 GB');
      expect(pc).toContain('GPU load 3 %');
      expect(pc).toContain('Ollama running · version 0.33.0');
      expect(pc).toContain('Models llama3.1:8b llama3.2:3b');
      expect(pc).toContain('Last seen 14:01');
      const hubCard = textOf(cards(html).get(HUB) ?? '');
      expect(hubCard).toContain('hub this node');
      expect(hubCard).toContain('GPU none (CPU only)');
      expect(hubCard).toContain('Serves Ollama and Immich ML now');
      // Seen three days ago: a duration, not a clock time that reads like today.
      expect(textOf(cards(html).get(NAS) ?? '')).toContain('Last seen 3 d ago');
    });

    it('escapes what peers send: a node name is text, never markup', async () => {
      const evil = node(gamingPc({ nodeId: 'a'.repeat(32), name: '<img src=x onerror=alert(1)>' }));
      const { html } = await get('/', webDeps({ nodes: () => [evil] }));
      expect(html).not.toContain('<img src=x');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    });

    it('says so when no node is known, and when the elector has not run yet', async () => {
      const { html } = await get('/', webDeps({ nodes: () => [], placement: () => null }));
      expect(html).toContain('<p id="no-nodes">No computers known yet.');
      expect(html).toContain('Ollama → not decided yet — the agent is still starting');
    });
  });

  describe('/timeline', () => {
    it('draws an SVG per node, each an image described in words, with "now" marked', async () => {
      const { res, html } = await get('/timeline');
      expectHtmlPage(res);
      // Two drawings per node, one shown by the CSS: narrow for phones, wide for desktops (issue 16).
      const narrow = html.match(/<svg class="timeline narrow" role="img" aria-label="[^"]+"/g) ?? [];
      const wide = html.match(/<svg class="timeline wide" role="img" aria-label="[^"]+"/g) ?? [];
      expect(narrow).toHaveLength(6);
      expect(wide).toHaveLength(6);
      expect(html.match(/<svg[^>]*>\s*<title>/g)).toHaveLength(12);
      expect(html.match(/<text class="now-label"[^>]*>now 14:02<\/text>/g)).toHaveLength(12);
      expect(html.match(/<line class="now"/g)).toHaveLength(12);
      expect(html).toMatch(/viewBox="0 0 720 /);
    });

    it('the past 24 hours come from the placement history, the next 24 from the offer windows', async () => {
      const { html } = await get('/timeline');
      expect(html).toContain(
        'aria-label="gaming-pc. Past 24 hours: served Ollama from before 14:02 yesterday to 07:02 today; did not serve Immich ML. ' +
          'Next 24 hours (windows mon–fri 22:00–07:00, sat, sun 00:00–24:00 in Europe/London): offered from 22:00 today to 07:00 tomorrow. Now is 14:02."',
      );
      expect(html).toContain(
        'aria-label="hub. Past 24 hours: served Ollama from 07:02 today until now; served Immich ML the whole time. Next 24 hours (always offered): offered the whole time. Now is 14:02."',
      );
      expect(html).toContain('<title>Offered: 22:00 today – 07:00 tomorrow</title>');
      expect(html).toContain('<title>Served Ollama: 14:02 yesterday – 07:02 today</title>');
    });

    it('shows a manual override', async () => {
      const { html } = await get('/timeline');
      expect(html).toContain('manual override: taken out until 16:02 today.');
      expect(html).toContain('Taken out manually');
      expect(html).toContain('class="seg-override-out"');
    });

    it('marks local 6-hour ticks, midnight with the day name', async () => {
      const { html } = await get('/timeline');
      const first = html.split('</svg>')[0] ?? '';
      const labels = [...first.matchAll(/<text class="axis"[^>]*text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);
      expect(labels).toEqual(['18:00', 'Wed', '06:00', '12:00', '18:00', 'Thu', '06:00', '12:00']);
    });
  });

  describe('/activity', () => {
    it('lists recent routed requests: time, kind, model, node, latency in ms, status', async () => {
      const { res, html } = await get('/activity');
      expectHtmlPage(res);
      const requests = html.slice(html.indexOf('id="requests-h"'), html.indexOf('id="actions-h"'));
      expect(textOf(requests.slice(requests.indexOf('<thead'), requests.indexOf('</thead>')))).toBe('Time Kind Model Node Latency (ms) Status');
      const rows = [...requests.matchAll(/<tr role="row">(<td.*?)<\/tr>/g)].map((m) => textOf((m[1] ?? '').replace(/<\/td>/g, ' | </td>')));
      expect(rows).toEqual([
        '14:01:55 | Ollama | llama3.2:3b | hub | 2413 | 200 |',
        '14:00:55 | Immich ML | — | hub | 31 | 502, after 1 failover — gaming-pc: no answer within 30000 ms |',
        '14:00:50 | Ollama | llama3.2:3b | gaming-pc | 900 | 200 · the client went away |',
        '14:00:40 | Ollama | llama3.1:70b | — | 0 | 404 — no computer offered now has llama3.1:70b |',
      ]);
      // A failure is red; a client that went away is not (issue 16).
      expect(requests).toMatch(/class="status-error">502/);
      expect(requests).toMatch(/class="status-neutral">200 · the client went away/);
    });

    it('lists recent actions newest first, with status and message', async () => {
      const { html } = await get('/activity');
      const body = html.slice(html.indexOf('<tbody id="actions-body"'), html.indexOf('</tbody>', html.indexOf('<tbody id="actions-body"')));
      const rows = [...body.matchAll(/<tr role="row">(.*?)<\/tr>/g)].map((m) => textOf((m[1] ?? '').replace(/<\/td>/g, ' | </td>')));
      expect(rows).toEqual([
        '14:01:00 | pause Immich queues | — | done | paused Immich queues smartSearch |',
        '07:02:00 | unload models | gaming-pc | done | unloaded llama3.1:8b |',
        'yesterday 12:02:00 | wake (Wake-on-LAN) | htpc | gave up | htpc did not come up within 180 s after Wake-on-LAN |',
      ]);
      expect(html).toContain('<td role="cell" data-label="Status" class="status-gave-up">gave up</td>');
    });

    it('keeps an empty actions table in the page (hidden) so live rows have somewhere to go', async () => {
      const { html } = await get('/activity', webDeps({ history: () => [], recentRequests: () => [] }));
      expect(html).toContain('<table id="actions" class="stack" role="table" aria-labelledby="actions-h" hidden="">');
      expect(html).toContain('No requests routed since the agent started.');
    });
  });

  describe('/setup', () => {
    it('asks where AI should run, with URL fields, Test connection buttons and the discovered computers', async () => {
      const { res, html } = await get('/setup');
      expectHtmlPage(res);
      expect(html).toMatch(/<script src="\/assets\/setup\.js\?v=[\w-]+" defer="">/);
      expect(html).toContain('<h2 id="where-h">Where are this computer&#39;s Ollama and Immich ML?</h2>');
      expect(html).toContain('<input type="radio" name="where" id="where-local" value="local"/> On this computer itself</label>');
      // Login first, and the settings read-only until then (issue 16).
      expect(html.indexOf('id="login"')).toBeLessThan(html.indexOf('id="settings-form"'));
      expect(html).toContain('<fieldset id="settings-fields" class="bare" disabled="">');
      expect(html).toContain('<input type="radio" name="where" id="where-remote" value="remote"/> On another computer</label>');
      expect(html).toContain('<label for="f-services-ollama-url">Ollama address</label>');
      expect(html).toContain('<label for="f-services-immich-ml-url">Immich ML address</label>');
      expect(html).toContain('data-kind="ollama" data-for="f-services-ollama-url"');
      expect(html).toContain('data-kind="immich-ml" data-for="f-services-immich-ml-url"');
      // One per kind (a kind not enabled there is hidden by the client script) and one for the picked computer.
      expect(html.match(/>Test connection<\/button>/g)).toHaveLength(4);
      // Another agent's loopback service URLs become its LAN address; this node is not offered.
      expect(html).toContain(
        `<option value="${GAMING_PC}" data-name="gaming-pc" data-agent-url="http://192.168.1.2:7650" data-url-ollama="http://192.168.1.2:11434" data-url-immich-ml="http://192.168.1.2:3003">gaming-pc (192.168.1.2)</option>`,
      );
      const pick = /<select id="pick-node"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
      expect(pick).toContain('gaming-pc');
      expect(pick).not.toContain(`<option value="${HUB}"`);
    });

    it('draws the week ahead of every computer as one chart, in words for screen readers (issue 16)', async () => {
      const { html } = await get('/setup');
      const week = /<section class="panel" aria-labelledby="week-h">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
      expect(week).toContain('<h2 id="week-h">The week ahead</h2>');
      expect(week.match(/<svg class="timeline week (narrow|wide)"/g)).toHaveLength(2);
      const label = /aria-label="(The week ahead\.[^"]*)"/.exec(week)?.[1] ?? '';
      expect(label).toContain('gaming-pc: offered mon–fri 22:00–07:00');
      expect(label).toContain('hub: available at any time');
      // Seven days: a day label at each local midnight.
      expect((/<svg class="timeline week narrow"[\s\S]*?<\/svg>/.exec(week)?.[0] ?? '').match(/<text class="axis"[^>]*text-anchor="middle">/g)).toHaveLength(7);
    });

    it("names the models only other computers have, and shows the modelFallbacks that answers them (issue 16)", async () => {
      const { html } = await get('/setup');
      const section = /<section id="fallbacks"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
      expect(section).toContain('Models hub doesn&#39;t have');
      expect(section).toMatch(/llama3\.1:8b — on gaming-pc/);
      expect(section).toContain('modelFallbacks');
    });

    it('"Settings of" lists this computer first and every other agent of the mesh, with its state (issue 16)', async () => {
      const { html } = await get('/setup');
      const machines = /<select id="setup-node"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
      expect(machines).toContain(`<option value="${HUB}" data-self="true">hub (this computer)</option>`);
      expect(machines).toContain(`<option value="${GAMING_PC}">gaming-pc</option>`);
      expect(machines).toMatch(/\(off or unreachable\)<\/option>/);
      expect(html).toContain('<label for="setup-node">Settings of</label>');
    });

    it('has the offer editor and the placement policy, every control labelled', async () => {
      const { html } = await get('/setup');
      for (const label of [
        'Time zone of the windows',
        'Games and programs that take this computer out while they run',
        'VRAM to keep free for the owner (MB)',
        'Cool-down after a game ends (seconds)',
        'Ollama: preferred computers, best first',
        'Immich ML: computers that may do the indexing',
        'Admin credential',
      ])
        expect(html).toContain(`>${label}</label>`);
      // The window row the client clones: day checkboxes, from/to times, remove.
      const template = html.slice(html.indexOf('<template id="window-template">'), html.indexOf('</template>'));
      expect(template.match(/<input type="checkbox" name="day"/g)).toHaveLength(7);
      expect(template).toContain('<label>From<input type="time" name="from" required=""/></label>');
      expect(template).toContain('<label>To<input type="time" name="to" required=""/></label>');
      expect(template).toContain('aria-label="Remove window 1">Remove</button>');
      expect(html).toContain('<button type="button" id="add-window">Add a window</button>');
      expect(unlabelledControls(html)).toEqual([]);
    });

    it('has the login form (explaining where the credential comes from), the save button and logout', async () => {
      const { html } = await get('/setup');
      expect(html).toContain('Run <code>inference-mesh admin-token</code> on the agent&#39;s machine');
      expect(html).toContain('<input type="password" id="admin-token"');
      expect(html).toContain('<button type="submit" id="save" class="primary" disabled="">Save</button>');
      expect(html).toContain('<button type="button" id="logout" hidden="">Log out</button>');
      expect(html).toContain('<div id="save-result" class="result" aria-live="polite"></div>');
    });

    it('/login leads to the login form on the setup page', async () => {
      const { res } = await get('/login');
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/setup#login');
    });
  });

  describe('assets', () => {
    it('serves the client script and the stylesheet with their content types and cache headers', async () => {
      const { html } = await get('/setup');
      for (const [name, type] of [
        ['app.js', 'text/javascript; charset=utf-8'],
        ['setup.js', 'text/javascript; charset=utf-8'],
        ['style.css', 'text/css; charset=utf-8'],
      ] as const) {
        const url = new RegExp(`/assets/${name.replace('.', '\\.')}\\?v=[\\w-]+`).exec(html)?.[0] ?? '';
        expect(url).not.toBe('');
        const app = webRoutes(webDeps());
        const versioned = await app.request(url);
        expect(versioned.status).toBe(200);
        expect(versioned.headers.get('content-type')).toBe(type);
        expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(versioned.headers.get('x-content-type-options')).toBe('nosniff');
        const body = await versioned.text();
        if (name.endsWith('.js')) expect(() => new Script(body, { filename: name })).not.toThrow();
        else expect(body).toContain('prefers-color-scheme: dark');
        // Without the version (or with an old one) the browser must revalidate: the ETag answers.
        const bare = await app.request(`/assets/${name}`);
        expect(bare.headers.get('cache-control')).toBe('no-cache');
        const etag = bare.headers.get('etag') ?? '';
        const again = await app.request(`/assets/${name}`, { headers: { 'if-none-match': etag } });
        expect(again.status).toBe(304);
      }
    });
  });

  it('renders with the deps of the moment: nothing is cached between requests', async () => {
    let nowMs = NOW;
    const deps = webDeps({ nowMs: () => nowMs });
    const app = webRoutes(deps);
    expect(await (await app.request('/timeline')).text()).toContain('now 14:02');
    nowMs += 60_000;
    expect(await (await app.request('/timeline')).text()).toContain('now 14:03');
  });
});
