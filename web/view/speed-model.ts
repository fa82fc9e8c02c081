/**
 * The Speed page's and the node card's figures (issue 15), from what each node advertises about
 * its own speed (`advert.speed`, measured by the node that serves). Pure: the page and the tests
 * render from the same rows.
 */
import type { NodeRecord } from '../../discovery/types.js';
import type { SpeedFigure } from '../../agent/kernel/shapes/speed.js';

export interface SpeedRow {
  nodeId: string;
  name: string;
  gpu: string | null;
  figure: SpeedFigure;
  genTokPerSec: number;
  /** The bar's length: this node's rate over the fastest's for the model, 0–1. */
  fraction: number;
}

export interface SpeedChart {
  model: string;
  /** Fastest first. */
  rows: SpeedRow[];
}

/** Per model, every node that advertises a generation rate for it; models that more nodes ran first. */
export function speedCharts(nodes: readonly NodeRecord[]): SpeedChart[] {
  const byModel = new Map<string, Omit<SpeedRow, 'fraction'>[]>();
  for (const n of nodes) {
    for (const [model, figure] of Object.entries(n.advert?.speed?.models ?? {})) {
      if (figure.genTokPerSec === null) continue;
      const rows = byModel.get(model) ?? [];
      rows.push({ nodeId: n.nodeId, name: n.name, gpu: n.advert?.hardware?.gpus[0]?.model ?? null, figure, genTokPerSec: figure.genTokPerSec });
      byModel.set(model, rows);
    }
  }
  return [...byModel.entries()]
    .map(([model, rows]) => {
      const max = Math.max(...rows.map((r) => r.genTokPerSec));
      const sorted = [...rows].sort((a, b) => b.genTokPerSec - a.genTokPerSec || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { model, rows: sorted.map((r) => ({ ...r, fraction: max > 0 ? r.genTokPerSec / max : 0 })) };
    })
    .sort((a, b) => b.rows.length - a.rows.length || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/** "118 tok/s", "8.2 tok/s": a decimal only where it is worth reading. */
export function tokPerSecText(n: number): string {
  return n >= 100 ? `${Math.round(n)} tok/s` : `${(Math.round(n * 10) / 10).toFixed(1)} tok/s`;
}

export function msText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The card's figures: the models this node measured most recently, "llama3.2:3b: 118 tok/s". The
 * client script has its own copy (web/static/view-js.ts `speedRow`): keep the two in step.
 */
export const CARD_SPEEDS_SHOWN = 3;
export function cardSpeedLines(node: NodeRecord): string[] {
  return Object.entries(node.advert?.speed?.models ?? {})
    .filter((e): e is [string, SpeedFigure & { genTokPerSec: number }] => e[1].genTokPerSec !== null)
    .sort((a, b) => b[1].atMs - a[1].atMs || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, CARD_SPEEDS_SHOWN)
    .map(([model, f]) => `${model}: ${tokPerSecText(f.genTokPerSec)}`);
}
