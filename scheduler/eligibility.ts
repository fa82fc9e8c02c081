/**
 * Whether one node may serve one kind of work now, with the reason in plain words (issue 4 §3):
 * "outside window 22:00–07:00, opens in 3 h 12 min", "game running: cs2.exe", "down since 14:02",
 * "no model llama3.1:8b". Pure: a registry record, the kind, the time and (for Ollama) the model.
 */
import type { NodeRecord } from '../discovery/types.js';
import type { ServiceKind } from './offer-schema.js';
import { inForce } from './override-schema.js';
import { formatDuration, formatLocalTime, formatWindow, windowState } from './windows.js';

export interface Eligibility {
  eligible: boolean;
  reason: string;
  /** When this verdict may change on its own (a window boundary, a cool-down or override ending). */
  changesAtMs: number | null;
}

/** Ollama's model names default the tag to `latest` (PROTOCOLS.md §1.3). */
export function normalizeModel(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.includes(':') ? name : `${name}:latest`;
}

export function nodeHasModel(node: NodeRecord, model: string): boolean {
  const wanted = normalizeModel(model);
  return (node.advert?.services.ollama?.models ?? []).some((m) => normalizeModel(m.name) === wanted);
}

const MIB = 1024 * 1024;

export function evaluate(node: NodeRecord, kind: ServiceKind, nowMs: number, opts: { model?: string | undefined; displayZone: string }): Eligibility {
  const no = (reason: string, changesAtMs: number | null = null): Eligibility => ({ eligible: false, reason, changesAtMs });
  const advert = node.advert;
  const zone = advert?.offer?.timeZone ?? opts.displayZone;
  if (node.state === 'down') return no(node.downSinceMs === null ? 'down' : `down since ${formatLocalTime(node.downSinceMs, opts.displayZone)}`);
  if (node.state === 'suspect') return no('not answering (suspect)');
  const service = kind === 'ollama' ? advert?.services.ollama : advert?.services.immichMl;
  const label = kind === 'ollama' ? 'Ollama' : 'Immich ML';
  if (!service) return no(`no ${label}`);
  if (service.state !== 'up') return no(`${label} is ${service.state}${service.reason ? `: ${service.reason}` : ''}`);

  const manual = advert?.offerOverride && inForce(advert.offerOverride, nowMs) ? advert.offerOverride : null;
  const manualEnds = manual?.untilMs ?? null;
  const until = manualEnds === null ? '' : ` until ${formatLocalTime(manualEnds, zone)}`;
  if (manual?.mode === 'out') return no(`taken out manually${until}`, manualEnds);

  const offer = advert?.offer ?? null;
  const state = advert?.offerState ?? null;
  if (state?.busy) return no(state.busy);

  let windowNote = 'always offered';
  let changesAtMs: number | null = manualEnds;
  if (manual?.mode === 'offer') {
    windowNote = `offered manually${until}`;
  } else if (offer?.windows && offer.windows.length > 0) {
    const w = windowState(offer.windows, zone, nowMs);
    changesAtMs = w.changesAtMs;
    const name = w.window ? formatWindow(w.window) : 'its windows';
    if (!w.open) {
      const opens = w.changesAtMs === null ? '' : `, opens in ${formatDuration(w.changesAtMs - nowMs)}`;
      return no(`outside window ${name}${opens}`, w.changesAtMs);
    }
    windowNote = w.changesAtMs === null ? `window ${name} open` : `window open until ${formatLocalTime(w.changesAtMs, zone)}`;
  }
  if (manual?.mode !== 'offer' && state?.coolDownUntilMs && state.coolDownUntilMs > nowMs) {
    const after = state.lastBusy ? ` after ${state.lastBusy.replace(/^game running: /, '')}` : '';
    return no(`cooling down${after}, back in ${formatDuration(state.coolDownUntilMs - nowMs)}`, state.coolDownUntilMs);
  }

  const reserveMb = offer?.vramReserveMb ?? 0;
  const gpus = advert?.hardware?.gpus ?? [];
  if (reserveMb > 0 && gpus.length > 0) {
    // VRAM our own Ollama holds would be freed for the owner at once, so it counts as free.
    const ollamaVramMb = (advert?.services.ollama?.loaded ?? []).reduce((sum, m) => sum + m.sizeVramBytes / MIB, 0);
    const known = gpus.filter((g) => g.vramTotalMb !== null && g.vramUsedMb !== null);
    if (known.length > 0) {
      const freeMb = known.reduce((sum, g) => sum + (g.vramTotalMb ?? 0) - (g.vramUsedMb ?? 0), 0) + ollamaVramMb;
      if (freeMb < reserveMb) return no(`only ${(freeMb / 1024).toFixed(1)} GB VRAM free (keeps ${(reserveMb / 1024).toFixed(1)} GB for the owner)`, changesAtMs);
    }
  }
  if (kind === 'ollama' && opts.model !== undefined && !nodeHasModel(node, opts.model)) return no(`no model ${opts.model}`, changesAtMs);
  return { eligible: true, reason: windowNote, changesAtMs };
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
