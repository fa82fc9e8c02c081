/**
 * The model control of each kind that can unload (issue 13): what the placement actions call when
 * this machine leaves or joins (scheduler/actions.ts decides when). One entry per kind; kinds that
 * cannot unload have none.
 */
import type { SettingsHolder } from '../live-settings.js';
import type { AgentConfig } from '../config-schema.js';
import type { KindId } from '../kernel/kinds.js';
import type { ModelControl } from '../../scheduler/actions.js';
import { preloadModels, unloadAllModels } from './ollama-models.js';

const CONTROLS: Readonly<Record<KindId, ((url: string, fetch: typeof globalThis.fetch) => ModelControl) | null>> = {
  ollama: (url, fetch) => ({
    unloadAll: (signal) => unloadAllModels({ url, fetch, signal }),
    preload: (models, signal) => preloadModels({ url, fetch, models, signal }),
  }),
  'immich-ml': null,
  whisper: null,
};

/** The controls of the enabled local services. */
export function modelControls(config: AgentConfig, settings: SettingsHolder, fetch: typeof globalThis.fetch): Partial<Record<KindId, ModelControl>> {
  const out: Partial<Record<KindId, ModelControl>> = {};
  for (const [kind, make] of Object.entries(CONTROLS) as [KindId, (typeof CONTROLS)[KindId]][]) {
    // The URL is read at call time: a Setup page change applies to the next action.
    const url = (): string => settings.current().services[kind].url;
    if (make && config.services[kind].enabled) out[kind] = { unloadAll: (s) => make(url(), fetch).unloadAll(s), preload: (m, s) => make(url(), fetch).preload(m, s) };
  }
  return out;
}
