/**
 * The Setup page's overlay on the config file (issue 12): only the keys a person changed there,
 * as dotted paths ("offer.coolDownSec", "placement.ollama.prefer"), each overriding the file's
 * value. Every other key follows the file, also after the file is edited. Arrays are single keys
 * (a list of windows is one setting). Pure: values in, values out.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { AgentConfig } from './config-schema.js';
import { perKind } from './kernel/kinds.js';
import type { LiveSettings } from './live-settings.js';
import type { Settings } from './kernel/shapes/settings.js';

/** Stored in state.json. Older files kept whole objects ({ offer: {...} }): `flattenSettings` reads both. */
export const settingsOverlaySchema = z.record(z.string(), z.json());
export type SettingsOverlay = z.infer<typeof settingsOverlaySchema>;

/** The parts of the configuration the Setup page edits, as the overlay's paths see them. */
export function editable(config: AgentConfig): Record<string, unknown> {
  return {
    services: perKind((kind) => ({ url: config.services[kind].url })),
    offer: config.offer,
    placement: config.placement,
  };
}

/** `{ offer: { coolDownSec: 30 } }` → `{ 'offer.coolDownSec': 30 }`; arrays and scalars are leaves; undefined is left out. */
export function flattenSettings(value: unknown, prefix = ''): SettingsOverlay {
  const out: SettingsOverlay = {};
  // Saved before the kinds registry (issue 13), Immich ML's settings were under "immichMl".
  if (prefix === 'services.immichMl' || prefix.startsWith('services.immichMl.')) prefix = prefix.replace('services.immichMl', 'services.immich-ml');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (prefix !== '' && value !== undefined) out[prefix] = value as z.infer<ReturnType<typeof z.json>>;
    return out;
  }
  for (const [k, v] of Object.entries(value)) Object.assign(out, flattenSettings(v, prefix === '' ? k : `${prefix}.${k}`));
  return out;
}

/**
 * The overlay after saving `change`: keys whose new value differs from the file are set, keys saved
 * with the file's value are dropped (they follow the file again), keys not in `change` are kept.
 */
export function overlayAfterSave(overlay: SettingsOverlay, file: AgentConfig, change: Settings): SettingsOverlay {
  const fileFlat = flattenSettings(editable(file));
  const next = { ...flattenSettings(overlay) };
  for (const [key, value] of Object.entries(flattenSettings(change))) {
    // An absent list and an empty one mean the same (no windows = always offered): not a change.
    const same = isDeepStrictEqual(value, fileFlat[key]) || (fileFlat[key] === undefined && Array.isArray(value) && value.length === 0);
    if (same) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** Drops `keys` (a key also drops everything under it: "offer" drops "offer.coolDownSec"); none = all. */
export function overlayWithout(overlay: SettingsOverlay, keys: readonly string[]): { overlay: SettingsOverlay; dropped: string[] } {
  const flat = flattenSettings(overlay);
  const dropped = Object.keys(flat).filter((k) => keys.length === 0 || keys.some((p) => k === p || k.startsWith(`${p}.`)));
  for (const k of dropped) delete flat[k];
  return { overlay: flat, dropped };
}

/**
 * The live settings: the file's editable values with the overlay's on top. Keys the file does not
 * have a place for (an older agent's, a typo) are ignored.
 */
export function liveSettings(file: AgentConfig, overlay: SettingsOverlay): LiveSettings {
  const services = perKind((kind) => ({ url: file.services[kind].url }));
  const offer = structuredClone(file.offer) as Record<string, unknown>;
  const placement = structuredClone(file.placement) as Record<string, unknown>;
  const roots: Record<string, Record<string, unknown>> = { offer, placement, services };
  for (const [key, value] of Object.entries(flattenSettings(overlay))) {
    const [root, ...path] = key.split('.');
    const target = root === undefined ? undefined : roots[root];
    const last = path.pop();
    if (!target || last === undefined) continue;
    let node: Record<string, unknown> | undefined = target;
    for (const p of path) {
      const child: unknown = node[p];
      if (child === null || typeof child !== 'object' || Array.isArray(child)) {
        node = undefined;
        break;
      }
      node = child as Record<string, unknown>;
    }
    if (node && (root !== 'services' || last === 'url')) node[last] = structuredClone(value);
  }
  return { services, offer: offer as LiveSettings['offer'], placement: placement as LiveSettings['placement'] };
}
