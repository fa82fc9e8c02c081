/**
 * The Speed page and the card's figure (issue 15): bars proportional to the fastest node of each
 * model, every figure in text, the page in the nav; the client script's card matches the server's.
 */
import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../../discovery/types.js';
import type { Placement } from '../../../scheduler/placement-view.js';
import { VIEW_JS } from '../../../web/static/view-js.js';
import { webRoutes } from '../../../web/routes.js';
import { cardSpeedLines, speedCharts } from '../../../web/view/speed-model.js';
import { GAMING_PC, HUB } from '../../helpers/mesh-fixtures.js';
import { NOW, ZONE, cards, meshNodes, meshPlacement, textOf, webDeps } from './web-fixtures.js';
import { withSpeed } from './speed-fixtures.js';

const nodes = withSpeed(meshNodes(NOW), NOW);
const deps = webDeps({ nodes: () => nodes });
const get = async (path: string): Promise<string> => {
  const res = await webRoutes(deps).request(path);
  expect(res.status).toBe(200);
  return res.text();
};

/** Each chart's section, in page order. */
const sections = (html: string): string[] => html.split('<section class="panel speed"').slice(1).map((s) => s.slice(s.indexOf('>') + 1, s.indexOf('</section>')));
/** The fill widths of a section's bars, in order, in % of the fastest. */
const fills = (section: string): number[] => [...section.matchAll(/class="bar-fill" x="0" y="0" width="([\d.]+)"/g)].map((m) => Number(m[1]));

describe('Speed page', () => {
  it('one chart per model, the model more nodes ran first, nodes fastest first with bars proportional to the fastest', async () => {
    const html = await get('/speed');
    const [small, large] = sections(html);
    expect(textOf(small ?? '')).toMatch(/^llama3\.2:3b gaming-pc NVIDIA GeForce RTX 4080 120 tok\/s .* workstation NVIDIA GeForce RTX 4080 95\.4 tok\/s .* hub CPU only 8\.0 tok\/s/);
    expect(fills(small ?? '')).toEqual([100, 79.5, 6.7]);
    expect(textOf(large ?? '')).toMatch(/^llama3\.1:8b gaming-pc .* 74\.2 tok\/s .* hub CPU only 3\.4 tok\/s/);
    expect(fills(large ?? '')).toEqual([100, 4.6]);
  });

  it('says every figure in text next to its bar; the bars themselves are hidden from screen readers', async () => {
    const html = await get('/speed');
    const text = textOf(html).replace(/\u00a0/g, ' ');
    expect(text).toContain('prompt 1480 tok/s · first token 95 ms · load 0 ms · 20 answers, 2 min ago');
    expect(text).toContain('prompt 22.0 tok/s · first token 4.1 s · load 5.2 s · bench, 1 d 2 h ago');
    expect(html).toContain('aria-label="llama3.2:3b: generated tokens per second, fastest first"');
    expect(html.match(/<svg class="bar"[^>]*>/g)?.every((t) => t.includes('aria-hidden="true"'))).toBe(true);
    expect(html).not.toMatch(/style="/); // the CSP forbids inline styles: widths are SVG attributes
  });

  it('is in the nav, and says how figures come when there are none', async () => {
    const empty = await (await webRoutes(webDeps()).request('/speed')).text();
    expect(empty).toMatch(/<a href="\/speed" aria-current="page">Speed<\/a>/);
    expect(textOf(empty)).toContain('No figures yet. They appear as computers answer Ollama requests, or after inference-mesh bench .');
    expect(speedCharts(meshNodes(NOW))).toEqual([]);
  });
});

describe('overview card speed', () => {
  it('shows the figure for what the node ran lately, newest first', async () => {
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    expect(cardSpeedLines(byId.get(GAMING_PC) as NodeRecord)).toEqual(['llama3.2:3b: 120 tok/s', 'llama3.1:8b: 74.2 tok/s']);
    expect(cardSpeedLines(byId.get(HUB) as NodeRecord)).toEqual(['llama3.2:3b: 8.0 tok/s', 'llama3.1:8b: 3.4 tok/s']);
    const card = cards(await get('/')).get(GAMING_PC) ?? '';
    expect(textOf(card)).toContain('Speed llama3.2:3b: 120 tok/s llama3.1:8b: 74.2 tok/s Last seen');
  });

  it('the client script renders the same card markup', async () => {
    const context = createContext({});
    runInContext(`${VIEW_JS}\nthis.IMView = IMView;`, context);
    const client = context.IMView as { cardHtml(node: NodeRecord, placement: Placement | null, nowMs: number, zone: string): string };
    const server = cards(await get('/'));
    const placement = meshPlacement(nodes, NOW);
    for (const n of nodes) expect(client.cardHtml(n, placement, NOW, ZONE), n.name).toBe(server.get(n.nodeId));
  });
});
