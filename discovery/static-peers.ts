/**
 * The static peers and service endpoints as the API and discovery see them: agent URLs and plain
 * endpoints from the config file and from the API (agent/static-peers.ts keeps them in state.json).
 */
import type { ServiceEndpoint } from './endpoint-schema.js';

export type Origin = 'config' | 'api';

export interface StaticPeers {
  urls(): { url: string; origin: Origin }[];
  endpoints(): (ServiceEndpoint & { origin: Origin })[];
  addUrl(url: string): Promise<void>;
  removeUrl(url: string): Promise<void>;
  addEndpoint(endpoint: ServiceEndpoint): Promise<void>;
  removeEndpoint(name: string): Promise<void>;
}

/** Agent URLs are compared without a trailing slash: `http://h:7650/` and `http://h:7650` are one peer. */
export function normalizeAgentUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}
