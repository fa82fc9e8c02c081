/**
 * `/`: who serves each kind now and why, then a card per node. Rendered complete on the server;
 * the client script keeps the summary (`#summary`, aria-live) and the cards (`#nodes`) current
 * from the SSE stream without a reload.
 */
import type { FC } from 'hono/jsx';
import type { NodeRecord } from '../../discovery/types.js';
import type { Placement } from '../../scheduler/placement-view.js';
import { NodeCard } from '../components/node-card.js';
import { nextChangeText } from '../view/format.js';
import { summaryLines } from '../view/summary.js';

export interface OverviewProps {
  nodes: NodeRecord[];
  placement: Placement | null;
  nowMs: number;
  zone: string;
}

export const OverviewPage: FC<OverviewProps> = ({ nodes, placement, nowMs, zone }) => (
  <>
    <section aria-labelledby="now-h">
      <h2 id="now-h">Who serves now</h2>
      <ul id="summary" class="summary" aria-live="polite">
        {summaryLines(placement, nodes).map((l) => (
          <li data-kind={l.kind}>{l.text}</li>
        ))}
      </ul>
      <p id="next-change" class="muted">
        {placement ? nextChangeText(placement.nextChangeAtMs, nowMs, zone) : ''}
      </p>
    </section>
    <section aria-labelledby="nodes-h">
      <h2 id="nodes-h">Computers</h2>
      <p id="no-nodes" hidden={nodes.length > 0}>
        No computers known yet. Start the agent on your other machines with the same mesh key.
      </p>
      <ul id="nodes" class="cards">
        {nodes.map((n) => (
          <NodeCard node={n} placement={placement} nowMs={nowMs} zone={zone} />
        ))}
      </ul>
    </section>
    {/* Spoken when a computer's state changes ("gaming-pc is now in a game."); the cards themselves are not live regions, or every GPU-load tick would be read out. */}
    <p id="announce" class="visually-hidden" aria-live="polite"></p>
  </>
);
