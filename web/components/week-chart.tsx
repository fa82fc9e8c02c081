/**
 * The week ahead for every computer of the mesh, as one chart (issue 16): when each one is offered
 * (its windows, evaluated as the election does), a manual override in force, and a game running
 * now. Shown on the Setup page, so a change of any computer's windows can be checked at a glance.
 * Drawn twice like the timeline (narrow for phones, wide for desktops; CSS shows one), with the
 * whole chart in words as its accessible name.
 */
import type { FC } from 'hono/jsx';
import type { NodeRecord } from '../../discovery/types.js';
import { inForce } from '../../agent/kernel/shapes/override.js';
import { formatWindow } from '../../scheduler/windows.js';
import { localTicks, offeredSpans, type Span } from '../view/timeline-model.js';

const WEEK_MS = 7 * 24 * 3_600_000;
const PAD = 6;
const NAME_W = 92;
const ROW_H = 26;
const BAR_H = 12;
const TOP = 18;

interface WeekRow {
  name: string;
  offered: Span[];
  override: { mode: 'offer' | 'out'; span: Span } | null;
  game: string | null;
  words: string;
}

function weekRows(nodes: readonly NodeRecord[], nowMs: number, zone: string): WeekRow[] {
  const toMs = nowMs + WEEK_MS;
  return nodes
    .filter((n) => !n.sources.includes('endpoint'))
    .map((n) => {
      const windows = n.advert?.offer?.windows ?? [];
      const o = n.advert?.offerOverride ?? null;
      const override = o && inForce(o, nowMs) ? { mode: o.mode, span: { startMs: nowMs, endMs: o.untilMs === null ? toMs : Math.min(o.untilMs, toMs) } } : null;
      const busy = n.advert?.offerState?.busy ?? null;
      const game = busy?.code === 'game' ? busy.params.process : null;
      const when = windows.length === 0 ? 'available at any time' : `offered ${windows.map((w) => formatWindow(w)).join(', ')}`;
      const extra = [override ? (override.mode === 'out' ? 'taken out manually now' : 'offered manually now') : null, game ? `in a game now (${game})` : null].filter(Boolean);
      return { name: n.name, offered: offeredSpans(n, nowMs, toMs, zone), override, game, words: `${n.name}: ${when}${extra.length ? `; ${extra.join('; ')}` : ''}` };
    });
}

export const WeekChart: FC<{ nodes: NodeRecord[]; nowMs: number; zone: string; width: number }> = ({ nodes, nowMs, zone, width }) => {
  const rows = weekRows(nodes, nowMs, zone);
  if (rows.length === 0) return null;
  const toMs = nowMs + WEEK_MS;
  const left = PAD + NAME_W;
  const x = (ms: number): number => Math.round((left + ((ms - nowMs) / WEEK_MS) * (width - left - PAD)) * 10) / 10;
  const axisY = TOP + rows.length * ROW_H;
  const days = localTicks(nowMs, toMs, zone).filter((t) => !/^\d/.test(t.label));
  return (
    <svg
      class={`timeline week ${width <= 360 ? 'narrow' : 'wide'}`}
      role="img"
      aria-label={`The week ahead. ${rows.map((r) => r.words).join('. ')}.`}
      viewBox={`0 0 ${width} ${axisY + 16}`}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>When each computer is offered in the next 7 days</title>
      {days.map((d) => (
        <line class="tick" x1={x(d.ms)} x2={x(d.ms)} y1={TOP - 4} y2={axisY} />
      ))}
      {rows.map((r, i) => {
        const y = TOP + i * ROW_H;
        return (
          <g>
            <text x={PAD} y={y + BAR_H}>
              {r.name.length > 12 ? `${r.name.slice(0, 11)}…` : r.name}
            </text>
            <rect class="track" x={left} y={y + 2} width={width - left - PAD} height={BAR_H} rx={2} />
            {r.offered.map((s) => (
              <rect class="seg-offer" x={x(s.startMs)} y={y + 2} width={Math.max(1, x(s.endMs) - x(s.startMs))} height={BAR_H} rx={2}>
                <title>{`${r.name}: offered`}</title>
              </rect>
            ))}
            {r.override ? (
              <rect class={`seg-override-${r.override.mode}`} x={x(r.override.span.startMs)} y={y + 2 + BAR_H / 2} width={Math.max(1, x(r.override.span.endMs) - x(r.override.span.startMs))} height={BAR_H / 2}>
                <title>{`${r.name}: ${r.override.mode === 'out' ? 'taken out manually' : 'offered manually'}`}</title>
              </rect>
            ) : null}
            {r.game ? (
              <rect class="seg-game" x={left} y={y} width={6} height={BAR_H + 4}>
                <title>{`${r.name}: in a game now (${r.game})`}</title>
              </rect>
            ) : null}
          </g>
        );
      })}
      <text class="axis" x={left} y={12}>
        now
      </text>
      {days.map((d) => (
        <text class="axis" x={Math.min(width - PAD - 12, x(d.ms))} y={axisY + 12} text-anchor="middle">
          {d.label}
        </text>
      ))}
    </svg>
  );
};
