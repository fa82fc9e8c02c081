/**
 * `/activity`: the latest routed requests (ProxyStats' in-memory ring) and the latest actions from
 * the history (unload, warm-up, queue pause/resume, wake), newest first. New actions are added live
 * by the client script from SSE `history` events; requests have no event, a reload shows new ones.
 * The tables carry explicit roles because the narrow-screen CSS turns rows into blocks.
 */
import type { FC } from 'hono/jsx';
import type { RecentRequest } from '../../agent/kernel/shapes/recent-request.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { ACTION_WORDS, STATUS_WORDS } from '../view/activity-words.js';
import { formatLogTime, kindLabel } from '../view/format.js';

/** Rows per table: enough for "what just happened", short enough for a phone. */
export const ROWS_SHOWN = 50;

const Head: FC<{ cols: readonly [string, boolean][] }> = ({ cols }) => (
  <thead role="rowgroup">
    <tr role="row">
      {cols.map(([label, num]) => (
        <th role="columnheader" scope="col" class={num ? 'num' : undefined}>
          {label}
        </th>
      ))}
    </tr>
  </thead>
);

/** "502 — gaming-pc: connection refused", "200 · the client went away": every failure says why (issue 16). */
function requestStatus(r: RecentRequest): string {
  const parts = [r.status === 0 ? 'no answer' : String(r.status)];
  if (r.failovers > 0) parts.push(`after ${r.failovers} failover${r.failovers === 1 ? '' : 's'}`);
  const text = parts.join(', ');
  if (r.outcome === 'aborted') return `${text} · the client went away`;
  return r.outcome === 'error' && r.reason ? `${text} — ${r.reason}` : text;
}

/** A client hang-up is nobody's error: neutral, not red. */
const statusClass = (r: RecentRequest): string | undefined => (r.outcome === 'error' ? 'status-error' : r.outcome === 'aborted' ? 'status-neutral' : undefined);

const Requests: FC<{ requests: RecentRequest[]; nowMs: number; zone: string }> = ({ requests, nowMs, zone }) => (
  <section aria-labelledby="requests-h">
    <h2 id="requests-h">Recent requests</h2>
    {requests.length === 0 ? (
      <p>No requests routed since the agent started.</p>
    ) : (
      <table class="stack" role="table" aria-labelledby="requests-h">
        <Head cols={[['Time', false], ['Kind', false], ['Model', false], ['Node', false], ['Latency (ms)', true], ['Status', false]]} />
        <tbody role="rowgroup">
          {[...requests]
            .sort((a, b) => b.atMs - a.atMs)
            .slice(0, ROWS_SHOWN)
            .map((r) => (
            <tr role="row">
              <td role="cell" data-label="Time">
                {formatLogTime(r.atMs, nowMs, zone)}
              </td>
              <td role="cell" data-label="Kind">
                {kindLabel(r.kind)}
              </td>
              <td role="cell" data-label="Model">
                {r.model ?? '—'}
                {r.substitutedModel ? ` (ran ${r.substitutedModel})` : ''}
              </td>
              <td role="cell" data-label="Node">
                {r.node}
              </td>
              <td role="cell" data-label="Latency (ms)" class="num">
                {Math.round(r.totalMs)}
              </td>
              <td role="cell" data-label="Status" class={statusClass(r)}>
                {requestStatus(r)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

/** Same cells as `actionRowHtml` in web/static/view-js.ts, which adds rows live. */
const Actions: FC<{ actions: HistoryEntry[]; nowMs: number; zone: string }> = ({ actions, nowMs, zone }) => (
  <section aria-labelledby="actions-h">
    <h2 id="actions-h">Recent actions</h2>
    <p id="no-actions" hidden={actions.length > 0}>
      No actions yet: they happen when a window opens or closes, a game starts, or a computer needs waking.
    </p>
    <table id="actions" class="stack" role="table" aria-labelledby="actions-h" hidden={actions.length === 0}>
      <Head cols={[['Time', false], ['Action', false], ['Node', false], ['Status', false], ['Message', false]]} />
      <tbody id="actions-body" role="rowgroup">
        {actions.map((e) => (
          <tr role="row">
            <td role="cell" data-label="Time">
              {formatLogTime(e.atMs, nowMs, zone)}
            </td>
            <td role="cell" data-label="Action">
              {e.action ? ACTION_WORDS[e.action] : '—'}
            </td>
            <td role="cell" data-label="Node">
              {e.nodeName ?? '—'}
            </td>
            <td role="cell" data-label="Status" class={`status-${e.status}`}>
              {STATUS_WORDS[e.status]}
            </td>
            <td role="cell" data-label="Message">
              {e.message}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
);

export interface ActivityProps {
  requests: RecentRequest[];
  history: HistoryEntry[];
  nowMs: number;
  zone: string;
}

export const ActivityPage: FC<ActivityProps> = ({ requests, history, nowMs, zone }) => {
  const actions = history
    .filter((e) => e.type === 'action')
    .sort((a, b) => b.atMs - a.atMs)
    .slice(0, ROWS_SHOWN);
  return (
    <>
      <Requests requests={requests} nowMs={nowMs} zone={zone} />
      <Actions actions={actions} nowMs={nowMs} zone={zone} />
    </>
  );
};
