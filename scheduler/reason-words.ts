/**
 * The one place reasons become words (issue 12): the API adds them next to the structured reason,
 * and the CLI and web UI show what the API (or this module, server-side) wrote. Times are shown in
 * the zone of the node that displays them.
 */
import { KINDS } from '../agent/kernel/kinds.js';
import type { BatchReason, BusyReason, Reason } from '../agent/kernel/shapes/reason.js';
import { formatDuration, formatLocalTime, formatWindow } from './windows.js';

export interface WordsContext {
  nowMs: number;
  zone: string;
}


/** "game running: cs2.exe", "GPU busy: 95 % for over 5 s". */
export function busyWords(b: BusyReason): string {
  if (b.code === 'game') return `game running: ${b.params.process}`;
  return `GPU busy${b.params.pct === null ? '' : `: ${b.params.pct} %`} for over ${b.params.forSec} s`;
}

/**
 * @example reasonWords({ code: 'outside-window', params: { window, opensAtMs } }, ctx) === 'outside window mon–fri 22:00–07:00, opens in 3 h 12 min'
 */
export function reasonWords(r: Reason, ctx: WordsContext): string {
  const at = (ms: number): string => formatLocalTime(ms, ctx.zone);
  const until = (ms: number | null): string => (ms === null ? '' : ` until ${at(ms)}`);
  switch (r.code) {
    case 'down':
      return r.params.sinceMs === null ? 'down' : `down since ${at(r.params.sinceMs)}`;
    case 'suspect':
      return 'not answering (suspect)';
    case 'no-service':
      return `no ${KINDS[r.params.kind].label}`;
    case 'service-down':
      return `${KINDS[r.params.kind].label} is ${r.params.state}${r.params.detail ? `: ${r.params.detail}` : ''}`;
    case 'taken-out':
      return `taken out manually${until(r.params.untilMs)}`;
    case 'game':
    case 'gpu-busy':
      return busyWords(r);
    case 'outside-window': {
      const name = r.params.window ? formatWindow(r.params.window) : 'its windows';
      return `outside window ${name}${r.params.opensAtMs === null ? '' : `, opens in ${formatDuration(r.params.opensAtMs - ctx.nowMs)}`}`;
    }
    case 'cooling-down': {
      const after = r.params.after === null ? '' : ` after ${r.params.after.code === 'game' ? r.params.after.params.process : 'GPU load'}`;
      return `cooling down${after}, back in ${formatDuration(r.params.untilMs - ctx.nowMs)}`;
    }
    case 'vram-low':
      return `only ${(r.params.freeMb / 1024).toFixed(1)} GB VRAM free (keeps ${(r.params.reserveMb / 1024).toFixed(1)} GB for the owner)`;
    case 'no-model':
      return `no model ${r.params.model}`;
    case 'always-offered':
      return 'always offered';
    case 'offered-manually':
      return `offered manually${until(r.params.untilMs)}`;
    case 'window-open':
      if (r.params.closesAtMs !== null) return `window open until ${at(r.params.closesAtMs)}`;
      return `window ${r.params.window ? formatWindow(r.params.window) : 'its windows'} open`;
    case 'pinned':
      return `pinned manually${until(r.params.untilMs)}`;
    case 'no-eligible':
      return 'no eligible node';
    case 'fastest': {
      // "fastest for llama3.2:3b: 118 tok/s; hub 8 tok/s"
      const fig = (v: number): string => `${r.params.unit === 'ms' ? Math.round(v) : Math.round(v * 10) / 10} ${r.params.unit}`;
      return [`fastest for ${r.params.subject}: ${fig(r.params.value)}`, ...r.params.others.map((o) => `${o.name} ${fig(o.value)}`)].join('; ');
    }
    case 'pin-waiting':
      return `pin to ${r.params.pinnedName}${until(r.params.untilMs)} waiting: ${reasonWords(r.params.because, ctx)}`;
  }
}

/** Why batch work runs where it runs, when that differs from the plain rule. */
export function batchWords(b: BatchReason): string {
  return b.code === 'batch-unpausable' ? 'no GPU node offered, and no Immich API key to pause the queues' : 'no GPU in the mesh: any node takes batch work';
}
