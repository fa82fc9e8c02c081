/**
 * Applies settings saved from the web UI to the running agent (issue 6: "saved changes take effect
 * without a restart and survive one"): the change is validated, stored as an overlay on the file,
 * and handed to the settings holder (live-settings.ts), whose subscribers react to the parts that
 * changed.
 */
import { timeoutSignal, type Clock } from './kernel/clock.js';
import type { AgentConfig } from './config-schema.js';
import { describeFetchError } from './kernel/fetch-error.js';
import { nodeAdvertSchema } from '../discovery/advert.js';
import { SERVICE_PROBES } from './probe/services.js';
import { KINDS, perKind } from './kernel/kinds.js';
import type { Settings, SettingsView, TestConnectionRequest, TestConnectionResult } from './kernel/shapes/settings.js';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from './kernel/log.js';
import { editable, liveSettings, flattenSettings, overlayAfterSave, overlayWithout, type SettingsOverlay } from './settings-overlay.js';
import type { Store } from './store.js';
import type { LiveSettings, SettingsHolder } from './live-settings.js';

/** What `GET /api/v1/settings` answers: the file's `enabled` flags with the live values. */
export function settingsView(config: AgentConfig, live: Readonly<LiveSettings>, overlay: SettingsOverlay = {}): SettingsView {
  return {
    services: perKind((kind) => ({ enabled: config.services[kind].enabled, url: live.services[kind].url })),
    offer: live.offer,
    placement: live.placement,
    overridden: Object.keys(flattenSettings(overlay)).sort(),
    immichKey: config.immich !== undefined,
  };
}


/**
 * Saves a change from the Setup page: only keys that differ from the config file go into the
 * overlay (issue 12), so the file keeps deciding every key nobody changed here.
 */
export async function saveSettings(store: Store, file: AgentConfig, change: Settings, holder: SettingsHolder): Promise<SettingsView> {
  const overlay = overlayAfterSave(store.get().settings, file, change);
  await store.update((s) => {
    s.settings = overlay;
  });
  holder.set(liveSettings(file, overlay));
  return settingsView(file, holder.current(), overlay);
}

/**
 * At start: the overlay goes over the file, and the log names every key it overrides, so an edit of
 * agent.config.json that seems ignored explains itself (issue 12). Keys that equal the file's value
 * (older state files kept whole objects) are dropped: they follow the file from now on.
 */
export async function applySavedSettings(store: Store, file: AgentConfig, holder: SettingsHolder, log: Logger): Promise<void> {
  const fileFlat = flattenSettings(editable(file));
  const kept = Object.fromEntries(Object.entries(flattenSettings(store.get().settings)).filter(([k, v]) => !isDeepStrictEqual(v, fileFlat[k])));
  if (!isDeepStrictEqual(kept, store.get().settings)) {
    await store.update((s) => {
      s.settings = kept;
    });
  }
  holder.set(liveSettings(file, kept));
  const keys = Object.keys(kept).sort();
  if (keys.length > 0) log.info('settings saved from the Setup page override the config file for these keys (inference-mesh settings reset [KEY] drops them)', { keys });
}

/** `inference-mesh settings reset [KEY…]`: drops overlay keys (all when none given); the file's values apply again at once. */
export async function resetSettings(store: Store, file: AgentConfig, keys: readonly string[], holder: SettingsHolder): Promise<{ dropped: string[]; settings: SettingsView }> {
  const { overlay, dropped } = overlayWithout(store.get().settings, keys);
  await store.update((s) => {
    s.settings = overlay;
  });
  holder.set(liveSettings(file, overlay));
  return { dropped, settings: settingsView(file, holder.current(), overlay) };
}

/** "Test connection" on the setup page: one probe of the URL, in plain words. */
export async function testConnection(req: TestConnectionRequest, deps: { fetch: typeof fetch; clock: Clock; timeoutMs: number }): Promise<TestConnectionResult> {
  const deadline = timeoutSignal(deps.clock, deps.timeoutMs);
  try {
    if (req.kind !== 'agent') {
      const r = await SERVICE_PROBES[req.kind]({ fetch: deps.fetch, nowMs: deps.clock.nowMs }, req.url, deadline.signal);
      if (r.state !== 'up') return { ok: false, reason: r.reason ?? 'no answer' };
      return KINDS[req.kind].traits.modelAware ? { ok: true, version: r.version ?? 'unknown', models: r.models.map((m) => m.name) } : { ok: true };
    }
    const base = req.url.replace(/\/+$/, '');
    let res: Response;
    try {
      res = await deps.fetch(`${base}/api/v1/node`, { signal: deadline.signal, headers: { accept: 'application/json' } });
    } catch (err) {
      return { ok: false, reason: describeFetchError(err, base) };
    }
    const parsed = nodeAdvertSchema.safeParse(await res.json().catch(() => null));
    if (!res.ok || !parsed.success) return { ok: false, reason: `${base} answered, but not like an inference-mesh agent (HTTP ${res.status})` };
    const a = parsed.data;
    return {
      ok: true,
      name: a.name,
      version: a.agentVersion,
      gpu: a.hardware?.gpus[0]?.model ?? null,
      models: a.services.ollama?.models.map((m) => m.name) ?? [],
    };
  } finally {
    deadline.cancel();
  }
}
