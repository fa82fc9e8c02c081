/**
 * One routed request as the statistics keep it (api/proxy/stats.ts) and the Activity page shows it
 * (web/pages/activity.tsx).
 */
import type { KindId } from '../kinds.js';

export type ProxyOutcome = 'ok' | 'error' | 'aborted';

export interface RecentRequest {
  atMs: number;
  kind: KindId;
  model: string | null;
  substitutedModel: string | null;
  node: string;
  status: number;
  outcome: ProxyOutcome;
  firstByteMs: number | null;
  totalMs: number;
  failovers: number;
  path: string;
  reason: string | null;
}
