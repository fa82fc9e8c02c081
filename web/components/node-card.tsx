/**
 * One node's card on the overview. The client script re-renders cards with the same markup
 * (web/static/view-js.ts `cardHtml`) when an SSE `node` or `placement` event arrives; keep the two
 * in step (test/unit/web/client-view.test.ts compares their text).
 */
import { ALL_KINDS } from '../../agent/kernel/kinds.js';
import type { ServiceFacts } from '../../agent/kernel/shapes/facts.js';
import type { FC } from 'hono/jsx';
import type { NodeRecord } from '../../discovery/types.js';
import type { Placement } from '../../scheduler/placement-view.js';
import { formatSeen, serviceWords, vramText } from '../view/format.js';
import { nodeStatus } from '../view/node-status.js';
import { cardSpeedLines } from '../view/speed-model.js';

/** Cards stay short on a phone: the rest of a long model list is a count. */
export const MODELS_SHOWN = 8;

const Row: FC<{ term: string; children?: unknown }> = ({ term, children }) => (
  <div>
    <dt>{term}</dt>
    <dd>{children}</dd>
  </div>
);

/** Plain words, and the raw reason only behind "details" (issue 16). */
const ServiceState: FC<{ s: { state: string; reason: string | null } | null | undefined; version?: string | null | undefined }> = ({ s, version }) => {
  const { text, detail } = serviceWords(s, version);
  return (
    <>
      {text}
      {detail ? (
        <details class="why">
          <summary>details</summary>
          {detail}
        </details>
      ) : null}
    </>
  );
};

const GpuRows: FC<{ node: NodeRecord }> = ({ node }) => {
  const hw = node.advert?.hardware;
  if (!hw) return <Row term="GPU">unknown</Row>;
  if (hw.gpus.length === 0) return <Row term="GPU">none (CPU only)</Row>;
  const many = hw.gpus.length > 1;
  return (
    <>
      {hw.gpus.map((g, i) => {
        const n = many ? ` ${i + 1}` : '';
        return (
          <>
            <Row term={`GPU${n}`}>{g.model}</Row>
            <Row term={`VRAM${n}`}>{vramText(g.vramUsedMb, g.vramTotalMb)}</Row>
            <Row term={`GPU load${n}`}>{g.utilizationPct === null ? 'unknown' : `${Math.round(g.utilizationPct)} %`}</Row>
          </>
        );
      })}
    </>
  );
};

const Models: FC<{ service: ServiceFacts | null | undefined }> = ({ service }) => {
  if (!service || (service.state !== 'up' && service.models.length === 0)) return null;
  const loaded = new Set(service.loaded.map((m) => m.name));
  const shown = service.models.slice(0, MODELS_SHOWN);
  const more = service.models.length - shown.length;
  return (
    <Row term="Models">
      {shown.length === 0 ? (
        'none'
      ) : (
        <ul class="models">
          {shown.map((m) => (
            <li>
              {m.name}
              {loaded.has(m.name) ? ' (loaded)' : ''}
            </li>
          ))}
          {more > 0 ? <li>and {more} more</li> : null}
        </ul>
      )}
    </Row>
  );
};

/** What the node's own answers measured, for the models it ran lately (issue 15; the Speed page compares). */
const SpeedRow: FC<{ node: NodeRecord }> = ({ node }) => {
  const lines = cardSpeedLines(node);
  if (lines.length === 0) return null;
  return (
    <Row term="Speed">
      <ul class="models">
        {lines.map((l) => (
          <li>{l}</li>
        ))}
      </ul>
    </Row>
  );
};

export const NodeCard: FC<{ node: NodeRecord; placement: Placement | null; nowMs: number; zone: string }> = ({ node, placement, nowMs, zone }) => {
  const status = nodeStatus(node, placement, zone);
  const id = `node-${node.nodeId}`;
  return (
    <li class="card" id={id} data-state={status.key}>
      <article aria-labelledby={`${id}-name`}>
        <h3 id={`${id}-name`}>
          {node.name}
          {node.sources.includes('self') ? <span class="tag"> this node</span> : null}
        </h3>
        <p class="state">
          <span class="dot" aria-hidden="true"></span>
          <strong>{status.words}</strong>
          {status.detail ? ` — ${status.detail}` : ''}
        </p>
        {status.serves ? <p class="serves">Serves {status.serves} now</p> : null}
        <dl>
          <GpuRows node={node} />
          {ALL_KINDS.map((d) => {
            const service = node.advert?.services[d.id];
            // A kind nobody set up here (disabled, or a third kind this machine does not run) is left out.
            if (!service && !d.enabledByDefault) return null;
            return (
              <>
                <Row term={d.label}>
                  <ServiceState s={service} version={service?.version} />
                </Row>
                {d.traits.modelAware ? <Models service={service} /> : null}
              </>
            );
          })}
          <SpeedRow node={node} />
          <Row term="Last seen">{formatSeen(node.lastSeenMs, nowMs, zone)}</Row>
        </dl>
      </article>
    </li>
  );
};
