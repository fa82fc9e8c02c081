/**
 * Static peers and service endpoints: those from the config file plus those added at run time
 * through the API (persisted in state.json). Config entries cannot be removed through the API:
 * the file stays the source of truth for them.
 */
import { normalizeAgentUrl, type Origin, type StaticPeers } from '../discovery/static-peers.js';
import type { ServiceEndpoint } from '../discovery/endpoint-schema.js';
import { AgentError, NotFoundError } from './kernel/errors.js';
import type { Store } from './store.js';

export function createStaticPeers(config: { peers: readonly string[]; endpoints: readonly ServiceEndpoint[] }, store: Store, onChange: () => void): StaticPeers {
  const configUrls = config.peers.map(normalizeAgentUrl);
  const conflict = (message: string): AgentError => new AgentError('conflict', message, { httpStatus: 409 });
  const urls = (): { url: string; origin: Origin }[] => [
    ...configUrls.map((url) => ({ url, origin: 'config' as const })),
    ...store.get().staticPeers.urls.filter((u) => !configUrls.includes(u)).map((url) => ({ url, origin: 'api' as const })),
  ];
  const endpoints = (): (ServiceEndpoint & { origin: Origin })[] => {
    const names = new Set(config.endpoints.map((e) => e.name));
    return [
      ...config.endpoints.map((e) => ({ ...e, origin: 'config' as const })),
      ...store.get().staticPeers.endpoints.filter((e) => !names.has(e.name)).map((e) => ({ ...e, origin: 'api' as const })),
    ];
  };
  return {
    urls,
    endpoints,
    async addUrl(raw) {
      const url = normalizeAgentUrl(raw);
      if (urls().some((u) => u.url === url)) throw conflict(`${url} is already a static peer`);
      await store.update((s) => {
        s.staticPeers.urls.push(url);
      });
      onChange();
    },
    async removeUrl(raw) {
      const url = normalizeAgentUrl(raw);
      const entry = urls().find((u) => u.url === url);
      if (!entry) throw new NotFoundError(`${url} is not a static peer`);
      if (entry.origin === 'config') throw conflict(`${url} is set in the config file (discovery.peers); remove it there`);
      await store.update((s) => {
        s.staticPeers.urls = s.staticPeers.urls.filter((u) => u !== url);
      });
      onChange();
    },
    async addEndpoint(endpoint) {
      if (endpoints().some((e) => e.name === endpoint.name)) throw conflict(`an endpoint named "${endpoint.name}" already exists`);
      await store.update((s) => {
        s.staticPeers.endpoints.push(endpoint);
      });
      onChange();
    },
    async removeEndpoint(name) {
      const entry = endpoints().find((e) => e.name === name);
      if (!entry) throw new NotFoundError(`no endpoint named "${name}"`);
      if (entry.origin === 'config') throw conflict(`"${name}" is set in the config file (discovery.endpoints); remove it there`);
      await store.update((s) => {
        s.staticPeers.endpoints = s.staticPeers.endpoints.filter((e) => e.name !== name);
      });
      onChange();
    },
  };
}
