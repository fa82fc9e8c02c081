/**
 * Applies settings saved from the web UI to the running agent (issue 6: "saved changes take effect
 * without a restart and survive one"): the change is validated, stored, written into the live
 * configuration object every part reads from, and the parts that cache anything are told.
 */
import { timeoutSignal, type Clock } from './clock.js';
import type { AgentConfig } from './config-schema.js';
import { describeFetchError } from './fetch-error.js';
import { nodeAdvertSchema } from './node-advert.js';
import { probeImmichMl } from './probe/immich-ml.js';
import { probeOllama } from './probe/ollama.js';
import type { Settings, TestConnectionRequest, TestConnectionResult } from './settings-schema.js';
import type { Store } from './store.js';

export interface SettingsView {
  services: { ollama: { url: string; enabled: boolean }; immichMl: { url: string; enabled: boolean } };
  offer: AgentConfig['offer'];
  placement: AgentConfig['placement'];
}

export function settingsView(config: AgentConfig): SettingsView {
  const { ollama, immichMl } = config.services;
  return {
    services: { ollama: { enabled: ollama.enabled, url: ollama.url }, immichMl: { enabled: immichMl.enabled, url: immichMl.url } },
    offer: config.offer,
    placement: config.placement,
  };
}

/** Writes `settings` into the live configuration (a mutable copy owned by the agent). */
export function applySettings(config: AgentConfig, settings: Settings): void {
  if (settings.services?.ollama) config.services.ollama.url = settings.services.ollama.url;
  if (settings.services?.immichMl) config.services.immichMl.url = settings.services.immichMl.url;
  if (settings.offer) config.offer = settings.offer;
  if (settings.placement) config.placement = settings.placement;
}

export async function saveSettings(
  store: Store,
  config: AgentConfig,
  change: Settings,
  effects: { offerChanged: () => void; placementChanged: () => void; servicesChanged: () => void },
): Promise<SettingsView> {
  await store.update((s) => {
    s.settings = {
      ...s.settings,
      ...(change.services ? { services: { ...s.settings.services, ...change.services } } : {}),
      ...(change.offer ? { offer: change.offer } : {}),
      ...(change.placement ? { placement: change.placement } : {}),
    };
  });
  applySettings(config, change);
  if (change.offer) effects.offerChanged();
  if (change.placement) effects.placementChanged();
  if (change.services) effects.servicesChanged();
  return settingsView(config);
}

/** "Test connection" on the setup page: one probe of the URL, in plain words. */
export async function testConnection(req: TestConnectionRequest, deps: { fetch: typeof fetch; clock: Clock; timeoutMs: number }): Promise<TestConnectionResult> {
  const deadline = timeoutSignal(deps.clock, deps.timeoutMs);
  try {
    if (req.kind === 'ollama') {
      const r = await probeOllama({ fetch: deps.fetch, nowMs: deps.clock.nowMs }, req.url, deadline.signal);
      return r.state === 'up' ? { ok: true, version: r.version ?? 'unknown', models: r.models.map((m) => m.name) } : { ok: false, reason: r.reason ?? 'no answer' };
    }
    if (req.kind === 'immich-ml') {
      const r = await probeImmichMl({ fetch: deps.fetch, nowMs: deps.clock.nowMs }, req.url, deadline.signal);
      return r.state === 'up' ? { ok: true } : { ok: false, reason: r.reason ?? 'no answer' };
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
