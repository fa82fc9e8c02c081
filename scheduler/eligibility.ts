/**
 * Whether one node may serve one kind of work now, and why, as data (issue 12): `outside-window
 * {window, opensAtMs}`, `game {process}`, `down {sinceMs}`, `no-model {model}`. Words are made at the
 * edges (`reason-words.ts`). Pure: a registry record, the kind, the time and (for Ollama) the model.
 */
import type { NodeRecord } from '../discovery/types.js';
import { ALL_KINDS, KINDS, type KindId } from '../agent/kernel/kinds.js';
import { inForce } from '../agent/kernel/shapes/override.js';
import { reason, type NodeReason } from '../agent/kernel/shapes/reason.js';
import { windowState } from './windows.js';
import { type TimeWindow } from '../agent/kernel/shapes/time-window.js';

export interface Eligibility {
  eligible: boolean;
  why: NodeReason;
  /** Moments this verdict may change on their own (a window boundary, a GPU load crossing its `forSec`, a cool-down or override ending). */
  changesAtMs: number[];
}

/** Ollama's model names default the tag to `latest` (PROTOCOLS.md §1.3). */
export function normalizeModel(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.includes(':') ? name : `${name}:latest`;
}

export function nodeHasModel(node: NodeRecord, kind: KindId, model: string): boolean {
  const wanted = normalizeModel(model);
  return (node.advert?.services[kind]?.models ?? []).some((m) => normalizeModel(m.name) === wanted);
}

const MIB = 1024 * 1024;

const plain = (w: TimeWindow | null) => (w ? { days: [...w.days], from: w.from, to: w.to } : null);

export function evaluate(node: NodeRecord, kind: KindId, nowMs: number, opts: { model?: string | undefined } = {}): Eligibility {
  const changesAtMs: number[] = [];
  const no = (why: NodeReason): Eligibility => ({ eligible: false, why, changesAtMs });
  const advert = node.advert;
  const zone = advert?.offer?.timeZone ?? 'UTC';
  if (node.state === 'down') return no(reason('down', { sinceMs: node.downSinceMs }));
  if (node.state === 'suspect') return no(reason('suspect', {}));
  const service = advert?.services[kind];
  if (!service) return no(reason('no-service', { kind }));
  if (service.state !== 'up') return no(reason('service-down', { kind, state: service.state, detail: service.reason }));

  // What the owner is doing comes first: it is the most telling reason (and the card shows it).
  const offer = advert?.offer ?? null;
  const state = advert?.offerState ?? null;
  if (state?.busy) return no(state.busy);

  const manual = advert?.offerOverride && inForce(advert.offerOverride, nowMs) ? advert.offerOverride : null;
  const manualEnds = manual?.untilMs ?? null;
  if (manualEnds !== null) changesAtMs.push(manualEnds);
  if (manual?.mode === 'out') return no(reason('taken-out', { untilMs: manualEnds }));
  // A GPU load is judged here, from the advertised start of the hot spell, so a steady load crosses
  // `forSec` on the elector's timer on every agent alike (issue 12: the facts do not change then).
  const threshold = offer?.notWhile.gpuUtilizationPct ?? null;
  if (threshold !== null && state?.gpuHotSinceMs != null) {
    const busyAtMs = state.gpuHotSinceMs + (offer?.notWhile.forSec ?? 0) * 1000;
    if (nowMs >= busyAtMs) return no(reason('gpu-busy', { pct: advert?.activity?.gpuUtilizationPct ?? null, sinceMs: state.gpuHotSinceMs, forSec: offer?.notWhile.forSec ?? 0 }));
    changesAtMs.push(busyAtMs);
  }

  if (manual?.mode !== 'offer' && state?.coolDownUntilMs && state.coolDownUntilMs > nowMs) {
    changesAtMs.push(state.coolDownUntilMs);
    return no(reason('cooling-down', { untilMs: state.coolDownUntilMs, after: state.lastBusy }));
  }
  const reserveMb = offer?.vramReserveMb ?? 0;
  const gpus = advert?.hardware?.gpus ?? [];
  if (reserveMb > 0 && gpus.length > 0) {
    // VRAM our own services hold would be freed for the owner at once (models unloaded), so it counts as free.
    const unloadableVramMb = ALL_KINDS.filter((d) => d.traits.canUnload)
      .flatMap((d) => advert?.services[d.id]?.loaded ?? [])
      .reduce((sum, m) => sum + m.sizeVramBytes / MIB, 0);
    const known = gpus.filter((g) => g.vramTotalMb !== null && g.vramUsedMb !== null);
    if (known.length > 0) {
      const freeMb = known.reduce((sum, g) => sum + (g.vramTotalMb ?? 0) - (g.vramUsedMb ?? 0), 0) + unloadableVramMb;
      if (freeMb < reserveMb) return no(reason('vram-low', { freeMb, reserveMb }));
    }
  }
  // The schedule comes after the owner's rules: a pin overrides the schedule, never the owner (issue 12).
  let offered: NodeReason = reason('always-offered', {});
  if (manual?.mode === 'offer') {
    offered = reason('offered-manually', { untilMs: manualEnds });
  } else if (offer?.windows && offer.windows.length > 0) {
    const w = windowState(offer.windows, zone, nowMs);
    if (w.changesAtMs !== null) changesAtMs.push(w.changesAtMs);
    if (!w.open) return no(reason('outside-window', { window: plain(w.window), opensAtMs: w.changesAtMs }));
    offered = reason('window-open', { window: plain(w.window), closesAtMs: w.changesAtMs });
  }
  if (KINDS[kind].traits.modelAware && opts.model !== undefined && !nodeHasModel(node, kind, opts.model)) return no(reason('no-model', { model: opts.model }));
  return { eligible: true, why: offered, changesAtMs };
}

/** Default priority from the hardware: CPU-only lowest, then by VRAM (issue 4 §1). */
export function effectivePriority(node: NodeRecord): number {
  const configured = node.advert?.offer?.priority;
  if (configured !== undefined) return configured;
  const hw = node.advert?.hardware;
  if (!hw) return 5; // a plain endpoint: hardware unknown
  const vramMb = Math.max(0, ...hw.gpus.map((g) => g.vramTotalMb ?? 0));
  return hw.gpus.length === 0 ? 0 : 10 + Math.round(vramMb / 1024);
}

export function maxVramMb(node: NodeRecord): number {
  return Math.max(0, ...(node.advert?.hardware?.gpus ?? []).map((g) => g.vramTotalMb ?? 0));
}

export function hasGpu(node: NodeRecord): boolean {
  return (node.advert?.hardware?.gpus.length ?? 0) > 0;
}
