/**
 * One model's comparison on the Speed page (issue 15): a horizontal bar per node, fastest first,
 * scaled to the fastest. The figures are text next to each bar (what a screen reader reads, and
 * what survives a narrow screen); the bars are decoration for the eye. Each bar is its own small
 * SVG with a `width` attribute: the page's CSP forbids inline styles (web/routes.tsx).
 */
import type { FC } from 'hono/jsx';
import { formatDuration } from '../../scheduler/windows.js';
import { msText, tokPerSecText, type SpeedChart, type SpeedRow } from '../view/speed-model.js';

function detailText(r: SpeedRow, nowMs: number): string {
  const f = r.figure;
  const parts = [
    f.promptTokPerSec === null ? null : `prompt ${tokPerSecText(f.promptTokPerSec)}`,
    f.ttftMs === null ? null : `first token ${msText(f.ttftMs)}`,
    f.loadMs === null ? null : `load ${msText(f.loadMs)}`,
    `${f.source === 'bench' ? 'bench' : `${f.n} ${f.n === 1 ? 'answer' : 'answers'}`}, ${nowMs - f.atMs < 60_000 ? 'just now' : `${formatDuration(nowMs - f.atMs)} ago`}`,
  ];
  // A narrow screen wraps between figures only, never between a number and its unit ("0 / ms").
  return parts
    .filter((p) => p !== null)
    .map((p) => p.replace(/ /g, '\u00a0'))
    .join('\u00a0· ');
}

export const SpeedBars: FC<{ chart: SpeedChart; index: number; nowMs: number }> = ({ chart, index, nowMs }) => {
  const id = `speed-${index}`;
  return (
    <section class="panel speed" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{chart.model}</h2>
      <ul class="bars" aria-label={`${chart.model}: generated tokens per second, fastest first`}>
        {chart.rows.map((r) => (
          <li class="bar-row" data-node={r.nodeId}>
            <p class="bar-label">
              <strong>{r.name}</strong> <span class="muted">{r.gpu ?? 'CPU only'}</span>
            </p>
            <p class="bar-line">
              <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                <rect class="bar-track" x="0" y="0" width="100" height="10" />
                {/* At least a sliver, so a very slow node still shows a bar next to its figure. */}
                <rect class="bar-fill" x="0" y="0" width={String(Math.max(1, Math.round(r.fraction * 1000) / 10))} height="10" />
              </svg>
              <span class="bar-value">{tokPerSecText(r.genTokPerSec)}</span>
            </p>
            <p class="bar-detail muted">{detailText(r, nowMs)}</p>
          </li>
        ))}
      </ul>
    </section>
  );
};
