/**
 * What the web UI reads from the running agent. Getters, not values: every page render sees the
 * state of that moment, and the UI never holds on to agent internals. Beyond types, web/ imports
 * only pure helpers from scheduler/ (windows, wall clock, KIND_IDS, inForce), so the timeline
 * evaluates windows exactly as the election does.
 */
import type { NodeRecord } from '../discovery/types.js';
import type { PlacementAnswer } from '../scheduler/routing-status.js';
import type { HistoryEntry } from '../scheduler/history-schema.js';
import type { RecentRequest } from '../agent/kernel/shapes/recent-request.js';

export interface WebDeps {
  /** This node's name, shown in every page header. */
  selfName: () => string;
  /** The registry's view of the mesh, this node first. */
  nodes: () => NodeRecord[];
  /** The current election result with what routing sees of it; null until the elector has run once. */
  placement: () => PlacementAnswer | null;
  /** Placement changes and actions, oldest first (`limit` keeps the newest). */
  history: (opts: { sinceMs?: number; limit?: number }) => HistoryEntry[];
  /** Recent routed requests, newest first (ProxyStats.snapshot().recent). */
  recentRequests: () => RecentRequest[];
  nowMs: () => number;
  /** The IANA zone times are shown in (the same one the placement's words are made in, scheduler/placement-view.ts). */
  displayZone: string;
}
