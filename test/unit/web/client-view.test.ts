/**
 * The client script re-renders cards, summary lines and action rows from SSE events with its own
 * copy of the formatting (web/static/view-js.ts). These tests run that copy in node:vm on the same
 * fixtures as the server and require the same markup, so the two cannot drift apart unnoticed.
 */
import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../../discovery/types.js';
import type { Placement } from '../../../scheduler/placement-view.js';
import type { HistoryEntry } from '../../../scheduler/history-schema.js';
import { formatDuration } from '../../../scheduler/windows.js';
import { VIEW_JS } from '../../../web/static/view-js.js';
import { webRoutes } from '../../../web/routes.js';
import { formatLogTime, nextChangeText } from '../../../web/view/format.js';
import { summaryLines } from '../../../web/view/summary.js';
import { WED, gamingPc, node } from '../../helpers/mesh-fixtures.js';
import { HISTORY, HOUR, NOW, ZONE, cards, meshNodes, meshPlacement, webDeps } from './web-fixtures.js';

interface ClientView {
  cardHtml(node: NodeRecord, placement: Placement | null, nowMs: number, zone: string): string;
  summaryLines(placement: Placement | null, nodes: NodeRecord[]): { kind: string; text: string }[];
  actionRowHtml(e: HistoryEntry, nowMs: number, zone: string): string;
  nextChangeText(atMs: number | null, nowMs: number, zone: string): string;
  formatLogTime(ms: number, nowMs: number, zone: string): string;
  formatDuration(ms: number): string;
}

function loadClientView(): ClientView {
  const context = createContext({});
  runInContext(`${VIEW_JS}\nthis.IMView = IMView;`, context);
  return context.IMView as ClientView;
}

const client = loadClientView();
// vm objects come from another realm; a JSON round trip makes them plain for toEqual.
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('client view (web/static/view-js.ts) = server view', () => {
  it('indexing on the CPU says why, on both sides (issue 12: no Immich API key, no GPU node offered)', () => {
    const nodes = meshNodes(NOW).map((n) => (n.advert?.name === 'hub' ? { ...n, advert: { ...n.advert, pausesImmichQueues: false } } : n));
    const placement = meshPlacement(nodes, NOW);
    const server = summaryLines(placement, nodes);
    expect(server[1]?.text).toMatch(/; indexing → hub \(no GPU node offered, and no Immich API key to pause the queues\)$/);
    expect(plain(client.summaryLines(placement, nodes))).toEqual(server);
  });

  for (const [label, nowMs] of [
    ['afternoon: the hub serves', NOW],
    ['night: the gaming PC serves', WED(23)],
  ] as const) {
    it(`node cards are the same markup (${label})`, async () => {
      const deps = webDeps({ nowMs: () => nowMs });
      const html = await (await webRoutes(deps).request('/')).text();
      const server = cards(html);
      const placement = deps.placement();
      for (const n of deps.nodes()) expect(client.cardHtml(n, placement, nowMs, ZONE), n.name).toBe(server.get(n.nodeId));
    });

    it(`summary lines and the next change read the same (${label})`, () => {
      const nodes = meshNodes(nowMs);
      const placement = meshPlacement(nodes, nowMs);
      expect(plain(client.summaryLines(placement, nodes))).toEqual(summaryLines(placement, nodes));
      expect(client.nextChangeText(placement.nextChangeAtMs, nowMs, ZONE)).toBe(nextChangeText(placement.nextChangeAtMs, nowMs, ZONE));
    });
  }

  it('without a placement yet, and for a node with many models and two GPUs', async () => {
    const advert = gamingPc();
    const big = node(
      {
        ...advert,
        // Peers choose their names: whatever they send must come out escaped the same way on both sides.
        name: `o'brien <pc> & "friends"`,
        hardware: advert.hardware && { ...advert.hardware, gpus: [...advert.hardware.gpus, { ...advert.hardware.gpus[0]!, utilizationPct: null, vramUsedMb: null }] },
        services: {
          ...advert.services,
          ollama: advert.services.ollama && {
            ...advert.services.ollama,
            models: Array.from({ length: 11 }, (_, i) => ({ name: `m${i}:latest`, sizeBytes: 1, family: null, parameterSize: null, quantization: null })),
            loaded: [{ name: 'm3:latest', sizeBytes: 1, sizeVramBytes: 1, expiresAt: null }],
          },
          'immich-ml': null,
        },
      },
      { lastSeenMs: null },
    );
    const deps = webDeps({ nodes: () => [big], placement: () => null });
    const html = await (await webRoutes(deps).request('/')).text();
    expect(client.cardHtml(big, null, NOW, ZONE)).toBe(cards(html).get(big.nodeId));
    expect(cards(html).get(big.nodeId)).toContain('<li>and 3 more</li>');
    expect(plain(client.summaryLines(null, [big]))).toEqual(summaryLines(null, [big]));
  });

  it('a node that answers but whose clock is off says so, never "asleep" (issue 11), on both sides', async () => {
    const skewed = node(gamingPc(), { state: 'down', downSinceMs: NOW - 60_000, clockOffsetMs: 299_900 });
    expect(skewed.macs.length).toBeGreaterThan(0); // a node with MACs would otherwise be "asleep"
    const deps = webDeps({ nodes: () => [skewed], placement: () => null });
    const html = await (await webRoutes(deps).request('/')).text();
    const card = cards(html).get(skewed.nodeId) ?? '';
    expect(card).toContain('clock off by +300 s');
    expect(card).toContain('data-state="clock-off"');
    expect(card).not.toContain('asleep');
    expect(client.cardHtml(skewed, null, NOW, ZONE)).toBe(card);
    // The summary names it too, the same on both sides.
    const nodes = meshNodes(WED(23)).map((n) => (n.name === 'gaming-pc' ? { ...n, state: 'down' as const, clockOffsetMs: 299_900 } : n));
    const placement = meshPlacement(nodes, WED(23));
    const lines = summaryLines(placement, nodes);
    expect(lines.some((l) => l.text.includes('gaming-pc: clock off by +300 s'))).toBe(true);
    expect(plain(client.summaryLines(placement, nodes))).toEqual(lines);
  });

  it('action rows added live match the server-rendered ones', async () => {
    const html = await (await webRoutes(webDeps()).request('/activity')).text();
    const body = html.slice(html.indexOf('<tbody id="actions-body" role="rowgroup">') + '<tbody id="actions-body" role="rowgroup">'.length, html.indexOf('</tbody>', html.indexOf('actions-body')));
    const actions = HISTORY.filter((e) => e.type === 'action').sort((a, b) => b.atMs - a.atMs);
    expect(actions.map((e) => client.actionRowHtml(e, NOW, ZONE)).join('')).toBe(body);
  });

  it('times and durations are written the same way', () => {
    for (const ms of [NOW, NOW - 60_000, NOW - 14 * HOUR, NOW - 20 * HOUR, NOW - 50 * HOUR, NOW - 9 * 24 * HOUR, Date.UTC(2026, 6, 1, 23, 30)])
      expect(client.formatLogTime(ms, NOW, ZONE)).toBe(formatLogTime(ms, NOW, ZONE));
    for (const ms of [0, 59_999, 60_000, 45 * 60_000 + 59_999, 192 * 60_000, 3 * HOUR, 51 * HOUR + 5 * 60_000, 48 * HOUR, Number.NaN])
      expect(client.formatDuration(ms)).toBe(formatDuration(ms));
  });
});
