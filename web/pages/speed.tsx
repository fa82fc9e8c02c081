/**
 * `/speed` (issue 15): how fast each computer runs each model, side by side. The figures are what
 * every node advertises about its own answers (and `inference-mesh bench`), so every agent shows
 * the same page.
 */
import type { FC } from 'hono/jsx';
import type { NodeRecord } from '../../discovery/types.js';
import { SpeedBars } from '../components/speed-bars.js';
import { speedCharts } from '../view/speed-model.js';

export const SpeedPage: FC<{ nodes: NodeRecord[]; nowMs: number }> = ({ nodes, nowMs }) => {
  const charts = speedCharts(nodes);
  return (
    <>
      <p class="muted">
        Generated tokens per second, per model: longer bars are faster. Each computer measures the answers it gives; <code>inference-mesh bench</code> measures them all now.
      </p>
      {charts.length === 0 ? (
        <p id="no-speed">No figures yet. They appear as computers answer Ollama requests, or after <code>inference-mesh bench</code>.</p>
      ) : (
        charts.map((chart, i) => <SpeedBars chart={chart} index={i} nowMs={nowMs} />)
      )}
    </>
  );
};
