/**
 * One node's 48-hour strip: the past 24 hours on the left (when it served each kind), the next 24
 * on the right (when its offer is open, and a manual override), "now" in the middle. Drawn twice: in
 * a narrow viewBox (360 units, about a phone's width) so the labels stay readable when a phone
 * shrinks it, and a wide one (720) for desktops, where the narrow one filled half the card (issue 16);
 * CSS shows one of them. Colours come from
 * CSS classes, so dark mode and the Content-Security-Policy (no inline styles) both hold.
 * role="img" with the whole timeline in words as its aria-label: the bars themselves say nothing
 * to a screen reader.
 */
import type { FC } from 'hono/jsx';
import { formatLocalTime } from '../../scheduler/windows.js';
import { kindLabel } from '../view/format.js';
import { describeTimeline, localTicks, shownKinds, spanTitle, type NodeTimeline, type Span } from '../view/timeline-model.js';

/** The phone drawing's width in viewBox units; the desktop one is twice as wide, with text the same size (issue 16). */
export const NARROW_WIDTH = 360;
export const WIDE_WIDTH = 720;
const PAD = 6;
const ROW_H = 30;
const BAR_H = 12;
const TOP = 22;

interface Row {
  label: string;
  cls: string;
  spans: Span[];
  half: 'past' | 'next';
}

function rows(t: NodeTimeline): Row[] {
  const out: Row[] = shownKinds(t).map((kind) => ({ label: `Served ${kindLabel(kind)}`, cls: `seg-${kind}`, spans: t.served[kind], half: 'past' as const }));
  out.push({ label: 'Offered', cls: 'seg-offer', spans: t.offered, half: 'next' });
  if (t.override) {
    const o = t.override;
    out.push({ label: o.mode === 'out' ? 'Taken out manually' : 'Offered manually', cls: `seg-override-${o.mode}`, spans: [o.span], half: 'next' });
  }
  return out;
}

export const TimelineSvg: FC<{ timeline: NodeTimeline; zone: string; width?: number }> = ({ timeline: t, zone, width = NARROW_WIDTH }) => {
  const WIDTH = width;
  // One decimal is finer than any screen shows and keeps the markup short.
  const x = (ms: number): number => Math.round((PAD + ((ms - t.fromMs) / (t.toMs - t.fromMs)) * (WIDTH - 2 * PAD)) * 10) / 10;
  const mid = x(t.nowMs);
  const all = rows(t);
  const axisY = TOP + all.length * ROW_H + 6;
  const height = axisY + 16;
  const ticks = localTicks(t.fromMs, t.toMs, zone);
  // Keep end labels inside the drawing (text-anchor middle would cut them in half).
  const labelX = (ms: number): number => Math.min(WIDTH - PAD - 14, Math.max(PAD + 14, x(ms)));
  const span = (s: Span, y: number, row: Row) => (
    <rect class={row.cls} x={x(s.startMs)} y={y} width={Math.max(1, x(s.endMs) - x(s.startMs))} height={BAR_H} rx={2}>
      <title>{`${row.label}: ${spanTitle(s, t, zone)}`}</title>
    </rect>
  );
  return (
    <svg
      class={width === NARROW_WIDTH ? 'timeline narrow' : 'timeline wide'}
      role="img"
      aria-label={describeTimeline(t, zone)}
      viewBox={`0 0 ${WIDTH} ${height}`}
      xmlns="http://www.w3.org/2000/svg"
    >
      {/* The accessible name is the aria-label; the title is the short tooltip (and description). */}
      <title>{`${t.name}: who served in the past 24 hours, what is offered in the next 24`}</title>
      <text class="axis" x={PAD} y={12}>
        past 24 h
      </text>
      <text class="axis" x={WIDTH - PAD} y={12} text-anchor="end">
        next 24 h
      </text>
      {ticks.map((tick) => (
        <line class="tick" x1={x(tick.ms)} x2={x(tick.ms)} y1={TOP - 4} y2={axisY} />
      ))}
      {all.map((row, i) => {
        const y = TOP + i * ROW_H;
        const [start, end] = row.half === 'past' ? [t.fromMs, t.nowMs] : [t.nowMs, t.toMs];
        const labelX = row.half === 'past' ? PAD : mid + 4;
        return (
          <g>
            <text x={labelX} y={y + 9}>
              {row.spans.length === 0 ? `${row.label}: none` : row.label}
            </text>
            <rect class="track" x={x(start)} y={y + 12} width={x(end) - x(start)} height={BAR_H} rx={2} />
            {row.spans.map((s) => span(s, y + 12, row))}
          </g>
        );
      })}
      <line class="now" x1={mid} x2={mid} y1={TOP - 6} y2={axisY} />
      <text class="now-label" x={mid} y={12} text-anchor="middle">
        {`now ${formatLocalTime(t.nowMs, zone)}`}
      </text>
      {ticks.map((tick) => (
        <text class="axis" x={labelX(tick.ms)} y={axisY + 12} text-anchor="middle">
          {tick.label}
        </text>
      ))}
    </svg>
  );
};
