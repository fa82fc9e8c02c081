/**
 * `inference-mesh nodes` as a table: pure formatting of the registry view.
 */
import { clockNote } from '../../discovery/clock-skew.js';
import type { NodeRecord } from '../../discovery/types.js';
import { formatDuration, formatMb } from './format-status.js';

export function formatNodes(nodes: readonly NodeRecord[], nowMs: number): string {
  const rows = [
    ['NAME', 'STATE', 'VIA', 'ADDRESS', 'LAST SEEN', 'GPU'],
    ...nodes.map((n) => {
      const gpu = n.advert?.hardware?.gpus[0];
      const self = n.sources.includes('self');
      return [
        `${n.name}${self ? ' (this node)' : ''}`,
        clockNote(n) ?? (n.state === 'down' && n.downSinceMs !== null ? `down ${formatDuration(nowMs - n.downSinceMs)}` : n.state),
        n.sources.join('+') || '-',
        n.activeUrl ? new URL(n.activeUrl).host : (n.addresses[0] ?? '-'),
        self ? 'now' : n.lastSeenMs === null ? 'never' : `${formatDuration(nowMs - n.lastSeenMs)} ago`,
        gpu ? `${gpu.model}${gpu.vramTotalMb === null ? '' : ` ${formatMb(gpu.vramTotalMb)}`}` : n.advert?.hardware ? 'none' : '-',
      ];
    }),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}
