/**
 * What the proxy did, two ways (mounted at `/`, because Prometheus scrapes `/metrics` by default:
 * https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config):
 * - `GET /api/v1/stats`: JSON snapshot (counters, percentile estimates, recent requests) for the UI;
 * - `GET /metrics`: the Prometheus text exposition format 0.0.4.
 */
import { Hono } from 'hono';
import { PROMETHEUS_CONTENT_TYPE, type ProxyStats } from '../proxy/stats.js';

export interface StatsRouteDeps {
  /** A getter: the proxy (and its stats) may be built after the routes. */
  stats: () => ProxyStats;
}

export function statsRoutes(deps: StatsRouteDeps): Hono {
  // Counters change every request: a cached copy would be wrong, so neither answer may be stored.
  return new Hono()
    .get('/api/v1/stats', (c) => c.json(deps.stats().snapshot(), 200, { 'Cache-Control': 'no-store' }))
    .get('/metrics', (c) => c.body(deps.stats().prometheus(), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' }));
}
