/**
 * `/timeline`: one 48-hour strip per node (web/components/timeline-svg.tsx). Server-rendered only:
 * windows move by the hour, so a reload is live enough.
 */
import type { FC } from 'hono/jsx';
import type { NodeRecord } from '../../discovery/types.js';
import type { HistoryEntry } from '../../scheduler/history-schema.js';
import { TimelineSvg, WIDE_WIDTH } from '../components/timeline-svg.js';
import { plainWords } from '../view/format.js';
import { buildTimeline } from '../view/timeline-model.js';

export interface TimelineProps {
  nodes: NodeRecord[];
  history: HistoryEntry[];
  nowMs: number;
  zone: string;
}

export const TimelinePage: FC<TimelineProps> = ({ nodes, history, nowMs, zone }) => (
  <>
    <p class="muted">
      Left of “now”: when each computer actually served, from the placement history. Right: when its owner offers it, from its time windows and
      any manual override. Games and GPU load can still take it out inside a window.
    </p>
    {nodes.length === 0 ? <p>No computers known yet.</p> : null}
    {nodes.map((n) => {
      const t = buildTimeline(n, history, nowMs, zone);
      return (
        <figure class="timeline" aria-labelledby={`tl-${n.nodeId}`}>
          <figcaption id={`tl-${n.nodeId}`}>{n.name}</figcaption>
          <TimelineSvg timeline={t} zone={zone} />
          <TimelineSvg timeline={t} zone={zone} width={WIDE_WIDTH} />
          <p class="muted">Offer: {plainWords(t.offerNote)}</p>
        </figure>
      );
    })}
  </>
);
