/**
 * A mesh of six computers in every state the overview words, on Wednesday 2026-11-25 at 14:02 in
 * London (GMT): the hub (this node), the gaming PC outside its 22:00–07:00 window, a workstation in
 * a game and taken out by hand, a sleeping HTPC (down, MAC known), a NAS that is down (no MAC) and
 * a laptop that stopped answering. The placement is the real election's.
 */
import type { NodeRecord } from '../../../discovery/types.js';
import type { RecentRequest } from '../../../agent/kernel/shapes/recent-request.js';
import { elect } from '../../../scheduler/election.js';
import { describePlacement } from '../../../scheduler/placement-view.js';
import type { HistoryEntry } from '../../../scheduler/history-schema.js';
import { placementPolicySchema } from '../../../agent/kernel/shapes/offer.js';
import type { WebDeps } from '../../../web/routes.js';
import { GAMING_PC, HUB, WORKSTATION, WED, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';

export const ZONE = 'Europe/London';
export const NOW = WED(14, 2);
export const HOUR = 3_600_000;
export const HTPC = '4'.repeat(32);
export const NAS = '5'.repeat(32);
export const LAPTOP = '6'.repeat(32);

export function meshNodes(nowMs = NOW): NodeRecord[] {
  return [
    node(hub({ pausesImmichQueues: true }), { sources: ['self'], lastSeenMs: nowMs }),
    node(gamingPc(), { lastSeenMs: nowMs - 2000 }),
    node(
      gamingPc({
        nodeId: WORKSTATION,
        name: 'workstation',
        offerState: { busy: { code: 'game', params: { process: 'cs2.exe' } }, busySinceMs: nowMs - HOUR, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: { code: 'game', params: { process: 'cs2.exe' } } },
        offerOverride: { mode: 'out', untilMs: nowMs + 2 * HOUR, setAtMs: nowMs - HOUR },
      }),
      { lastSeenMs: nowMs - 1000 },
    ),
    node(gamingPc({ nodeId: HTPC, name: 'htpc' }), { state: 'down', downSinceMs: nowMs - 2 * HOUR, lastSeenMs: nowMs - 2 * HOUR }),
    node(hub({ nodeId: NAS, name: 'nas' }), { state: 'down', macs: [], downSinceMs: null, lastSeenMs: nowMs - 3 * 24 * HOUR }),
    node(hub({ nodeId: LAPTOP, name: 'laptop' }), { state: 'suspect', lastSeenMs: nowMs - 4000 }),
  ];
}

export function meshPlacement(nodes: NodeRecord[], nowMs = NOW) {
  return describePlacement(elect({ nodes, policy: placementPolicySchema.parse({}), pins: [], nowMs }), ZONE);
}

const entry = (e: Partial<HistoryEntry> & Pick<HistoryEntry, 'atMs' | 'type'>): HistoryEntry => ({
  kind: null,
  nodeId: null,
  nodeName: null,
  action: null,
  status: 'info',
  message: '',
  ...e,
});

/** Oldest first, as the history store keeps it. */
export const HISTORY: HistoryEntry[] = [
  entry({ atMs: NOW - 30 * HOUR, type: 'placement', kind: 'ollama', nodeId: GAMING_PC, nodeName: 'gaming-pc', message: 'Ollama → gaming-pc' }),
  entry({ atMs: NOW - 30 * HOUR, type: 'placement', kind: 'immich-ml', nodeId: HUB, nodeName: 'hub', message: 'Immich ML → hub' }),
  entry({ atMs: NOW - 7 * HOUR, type: 'placement', kind: 'ollama', nodeId: HUB, nodeName: 'hub', message: 'Ollama → hub' }),
  entry({ atMs: NOW - 7 * HOUR, type: 'action', kind: 'ollama', nodeId: GAMING_PC, nodeName: 'gaming-pc', action: 'unload', status: 'ok', message: 'unloaded llama3.1:8b' }),
  entry({ atMs: NOW - 26 * HOUR, type: 'action', kind: null, nodeId: HTPC, nodeName: 'htpc', action: 'wake', status: 'gave-up', message: 'htpc did not come up within 180 s after Wake-on-LAN' }),
  entry({ atMs: NOW - 60_000, type: 'action', kind: 'immich-ml', nodeId: null, nodeName: null, action: 'pause-queues', status: 'ok', message: 'paused Immich queues smartSearch' }),
];

export const REQUESTS: RecentRequest[] = [
  { atMs: NOW - 5000, kind: 'ollama', model: 'llama3.2:3b', substitutedModel: null, node: 'hub', status: 200, outcome: 'ok', firstByteMs: 180, totalMs: 2412.6, failovers: 0, path: '/api/chat', reason: null },
  { atMs: NOW - 65_000, kind: 'immich-ml', model: null, substitutedModel: null, node: 'hub', status: 502, outcome: 'error', firstByteMs: null, totalMs: 31.2, failovers: 1, path: '/predict', reason: 'gaming-pc: no answer within 30000 ms' },
  { atMs: NOW - 70_000, kind: 'ollama', model: 'llama3.2:3b', substitutedModel: null, node: 'gaming-pc', status: 200, outcome: 'aborted', firstByteMs: 90, totalMs: 900, failovers: 0, path: '/api/chat', reason: 'the client went away' },
  { atMs: NOW - 80_000, kind: 'ollama', model: 'llama3.1:70b', substitutedModel: null, node: '—', status: 404, outcome: 'error', firstByteMs: null, totalMs: 0, failovers: 0, path: '/api/chat', reason: 'no computer offered now has llama3.1:70b' },
];

export function webDeps(overrides: Partial<WebDeps> = {}): WebDeps {
  const nowMs = overrides.nowMs?.() ?? NOW;
  const nodes = meshNodes(nowMs);
  const placement = meshPlacement(nodes, nowMs);
  return {
    selfName: () => 'hub',
    nodes: () => nodes,
    placement: () => placement,
    history: ({ sinceMs = 0, limit }) => {
      const list = HISTORY.filter((e) => e.atMs >= sinceMs);
      return limit === undefined ? list : list.slice(-limit);
    },
    recentRequests: () => REQUESTS,
    nowMs: () => nowMs,
    displayZone: ZONE,
    ...overrides,
  };
}

/** Each node card's markup, by node id (cards contain nested <li>s, so split on the card's own tag). */
export function cards(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of html.split('<li class="card" ').slice(1)) {
    const id = /^id="node-([0-9a-f]+)"/.exec(part)?.[1];
    const end = part.indexOf('</article></li>');
    if (id !== undefined) out.set(id, `<li class="card" ${part.slice(0, end + '</article></li>'.length)}`);
  }
  return out;
}

/** Visible text, roughly as a screen shows it: a space per tag, the entities hono writes decoded. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
