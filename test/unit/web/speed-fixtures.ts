/**
 * Speed figures for the web tests and the Speed screenshots (issue 15): the hub runs llama3.2:3b at
 * 8 tokens/s and the gaming PC at 120; llama3.1:8b at 3.4 and 74; the workstation measured
 * llama3.2:3b two hours ago.
 */
import type { AdvertisedSpeed, SpeedFigure } from '../../../agent/kernel/shapes/speed.js';
import type { NodeRecord } from '../../../discovery/types.js';
import { GAMING_PC, HUB, WORKSTATION } from '../../helpers/mesh-fixtures.js';
import { HOUR } from './web-fixtures.js';

export function figure(genTokPerSec: number, o: Partial<SpeedFigure> & { atMs: number }): SpeedFigure {
  return { genTokPerSec, promptTokPerSec: null, ttftMs: null, loadMs: null, n: 1, source: 'traffic', ...o };
}

export function speedsAt(nowMs: number): Record<string, AdvertisedSpeed> {
  return {
    [HUB]: {
      models: {
        'llama3.2:3b': figure(8, { promptTokPerSec: 61.5, ttftMs: 1840, loadMs: 2100, n: 14, atMs: nowMs - 5 * 60_000 }),
        'llama3.1:8b': figure(3.4, { promptTokPerSec: 22, ttftMs: 4100, loadMs: 5200, n: 1, source: 'bench', atMs: nowMs - 26 * HOUR }),
      },
      tasks: {},
    },
    [GAMING_PC]: {
      models: {
        'llama3.2:3b': figure(120, { promptTokPerSec: 1480, ttftMs: 95, loadMs: 0, n: 20, atMs: nowMs - 2 * 60_000 }),
        'llama3.1:8b': figure(74.2, { promptTokPerSec: 930, ttftMs: 160, loadMs: 1200, n: 1, source: 'bench', atMs: nowMs - 26 * HOUR }),
      },
      tasks: {},
    },
    [WORKSTATION]: { models: { 'llama3.2:3b': figure(95.4, { promptTokPerSec: 1100, ttftMs: 120, loadMs: 900, n: 6, atMs: nowMs - 2 * HOUR }) }, tasks: {} },
  };
}

/** The nodes with their advertised speed (nodes not listed advertise none). */
export function withSpeed(nodes: NodeRecord[], nowMs: number): NodeRecord[] {
  const speeds = speedsAt(nowMs);
  return nodes.map((n) => (n.advert ? { ...n, advert: { ...n.advert, speed: speeds[n.nodeId] ?? null } } : n));
}
