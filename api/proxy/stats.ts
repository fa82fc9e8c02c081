/**
 * What the routing proxy did: per (kind, node) counters and latency histograms, requests that found no
 * node at all, and a bounded ring of recent requests for the UI's activity page. Everything lives in
 * memory and starts at zero when the agent starts (`sinceMs`); Prometheus counters are allowed to reset
 * on restart, `rate()` handles it.
 *
 * Two views of the same numbers:
 * - `snapshot()`: JSON for `GET /api/v1/stats`, percentiles estimated from the histogram buckets;
 * - `prometheus()`: the text exposition format 0.0.4 for `GET /metrics`
 *   (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 *
 * Labels are only `kind`, `node` (a node name: bounded by the mesh) and `outcome`: the model and the
 * path go to the ring, never to a label, because unbounded label values explode a Prometheus series
 * count (https://prometheus.io/docs/practices/naming/#labels).
 */
import type { ProxyOutcome, RecentRequest } from '../../agent/kernel/shapes/recent-request.js';
import { KIND_IDS, type KindId } from '../../agent/kernel/kinds.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Upper bounds of the latency buckets, in ms; `+Inf` is implicit. Spread from 1 ms (a cached Immich
 * embedding on the LAN) to 60 s (a cold model load before the first token), like the client libraries'
 * default seconds buckets, stretched at the top for LLM work.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/** How many requests the activity ring keeps. */
export const RECENT_LIMIT = 200;

/** Long paths and model names are cut so the ring stays bounded in bytes, not only in entries. */
const MAX_TEXT_CHARS = 256;

const OUTCOMES: readonly ProxyOutcome[] = ['ok', 'error', 'aborted'];

export interface ProxyRequestEvent {
  kind: KindId;
  /** The name of the node that answered (or the last one tried). */
  node: string;
  /** As the proxy judged it: an upstream 5xx that was passed through is the caller's call. */
  outcome: ProxyOutcome;
  /** The HTTP status sent to the client (0 when none was sent). */
  status: number;
  /** Candidates tried before this one answered. */
  failovers: number;
  /** Null when no byte of the body arrived. */
  firstByteMs: number | null;
  totalMs: number;
  model?: string | null | undefined;
  /** The model actually asked of the node when the requested one was swapped for an equivalent. */
  substitutedModel?: string | null | undefined;
  path: string;
  /** Why it failed, in words (errors and aborts only): the Activity page shows it (issue 16). */
  reason?: string | null | undefined;
}

export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
}

export interface NodeStats {
  requests: number;
  errors: number;
  aborted: number;
  failovers: number;
  /** Routed requests this node failed before the first byte (refused, timed out, 5xx, unsigned relay). */
  unreachable: number;
  /** Null until one observation; see `estimateQuantileMs` for how the figures are estimated. */
  firstByteMs: LatencyPercentiles | null;
  totalMs: LatencyPercentiles | null;
}

export interface KindStats {
  noCandidate: number;
  nodes: Record<string, NodeStats>;
}


export interface ProxyStatsSnapshot {
  sinceMs: number;
  kinds: Record<KindId, KindStats>;
  /** Newest first, at most `RECENT_LIMIT`. */
  recent: RecentRequest[];
}

export interface ProxyStats {
  record(e: ProxyRequestEvent): void;
  /** A request no node could take; with `detail`, it is also listed among the recent requests. */
  recordNoCandidate(kind: KindId, detail?: { model: string | null; path: string; status: number; reason: string }): void;
  /** A node failed a routed request before answering (the request went on to the next node). */
  recordUnreachable(kind: KindId, node: string): void;
  snapshot(): ProxyStatsSnapshot;
  prometheus(): string;
}

/** Per-bucket (not cumulative) counts; the last slot is the `+Inf` bucket. */
interface Histogram {
  counts: number[];
  sumMs: number;
  count: number;
}

interface NodeCounters {
  byOutcome: Record<ProxyOutcome, number>;
  failovers: number;
  unreachable: number;
  firstByte: Histogram;
  total: Histogram;
}

function newHistogram(): Histogram {
  return { counts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), sumMs: 0, count: 0 };
}

function observe(h: Histogram, ms: number): void {
  // A negative or non-finite duration is a caller bug; dropping it keeps `_sum` a valid number.
  if (!Number.isFinite(ms) || ms < 0) return;
  const i = LATENCY_BUCKETS_MS.findIndex((le) => ms <= le);
  const slot = i === -1 ? LATENCY_BUCKETS_MS.length : i;
  h.counts[slot] = (h.counts[slot] ?? 0) + 1;
  h.sumMs += ms;
  h.count += 1;
}

/**
 * The q-quantile estimated the way PromQL's `histogram_quantile` does
 * (https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile): find the bucket
 * holding the rank q·count and interpolate linearly between its lower and upper bound, assuming the
 * observations are spread evenly inside it. The first bucket's lower bound is 0; a rank that falls in
 * the `+Inf` bucket yields the highest finite bound (60 000 ms), so it reads "at least". The error is
 * at most the width of the bucket, which is why the buckets are roughly logarithmic.
 */
export function estimateQuantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (below + inBucket >= rank && inBucket > 0) {
      const upper = LATENCY_BUCKETS_MS[i];
      if (upper === undefined) return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? null;
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] ?? 0);
      return round3(lower + ((upper - lower) * (rank - below)) / inBucket);
    }
    below += inBucket;
  }
  return null;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function percentiles(h: Histogram): LatencyPercentiles | null {
  const p50 = estimateQuantileMs(h.counts, 0.5);
  const p90 = estimateQuantileMs(h.counts, 0.9);
  const p99 = estimateQuantileMs(h.counts, 0.99);
  return p50 === null || p90 === null || p99 === null ? null : { p50, p90, p99 };
}

function clip(s: string): string {
  return s.length > MAX_TEXT_CHARS ? `${s.slice(0, MAX_TEXT_CHARS - 1)}…` : s;
}

export function createProxyStats(opts: { nowMs: () => number }): ProxyStats {
  const sinceMs = opts.nowMs();
  const perKind = new Map<KindId, { noCandidate: number; nodes: Map<string, NodeCounters> }>(
    KIND_IDS.map((k) => [k, { noCandidate: 0, nodes: new Map() }]),
  );
  const kindEntry = (kind: KindId) => {
    let entry = perKind.get(kind);
    if (entry === undefined) perKind.set(kind, (entry = { noCandidate: 0, nodes: new Map() }));
    return entry;
  };
  // A fixed-size ring: `next` is where the next entry goes; O(1) per request, no array shifting.
  const ring: RecentRequest[] = [];
  let next = 0;

  const counters = (kind: KindId, node: string): NodeCounters => {
    const nodes = kindEntry(kind).nodes;
    let c = nodes.get(node);
    if (c === undefined) {
      c = { byOutcome: { ok: 0, error: 0, aborted: 0 }, failovers: 0, unreachable: 0, firstByte: newHistogram(), total: newHistogram() };
      nodes.set(node, c);
    }
    return c;
  };

  function record(e: ProxyRequestEvent): void {
    const c = counters(e.kind, e.node);
    const failovers = Number.isFinite(e.failovers) ? Math.max(0, Math.trunc(e.failovers)) : 0;
    c.byOutcome[e.outcome] += 1;
    c.failovers += failovers;
    if (e.firstByteMs !== null) observe(c.firstByte, e.firstByteMs);
    observe(c.total, e.totalMs);
    const entry: RecentRequest = {
      atMs: opts.nowMs(),
      kind: e.kind,
      model: e.model == null ? null : clip(e.model),
      substitutedModel: e.substitutedModel == null ? null : clip(e.substitutedModel),
      node: e.node,
      status: e.status,
      outcome: e.outcome,
      firstByteMs: e.firstByteMs,
      totalMs: e.totalMs,
      failovers,
      path: clip(e.path),
      reason: e.reason == null ? null : clip(e.reason),
    };
    remember(entry);
  }

  function remember(entry: RecentRequest): void {
    if (ring.length < RECENT_LIMIT) ring.push(entry);
    else ring[next] = entry;
    next = (next + 1) % RECENT_LIMIT;
  }

  function recent(): RecentRequest[] {
    // Oldest entry sits at `next` once the ring is full; reverse for newest first.
    const ordered = ring.length < RECENT_LIMIT ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)];
    return ordered.reverse().map((r) => ({ ...r }));
  }

  function snapshot(): ProxyStatsSnapshot {
    const kinds = {} as Record<KindId, KindStats>;
    for (const [kind, k] of perKind) {
      // Object.fromEntries defines own properties, so a node called "__proto__" stays plain data.
      const nodes = Object.fromEntries(
        [...k.nodes].map(([name, c]): [string, NodeStats] => [
          name,
          {
            requests: c.byOutcome.ok + c.byOutcome.error + c.byOutcome.aborted,
            errors: c.byOutcome.error,
            aborted: c.byOutcome.aborted,
            failovers: c.failovers,
            unreachable: c.unreachable,
            firstByteMs: percentiles(c.firstByte),
            totalMs: percentiles(c.total),
          },
        ]),
      );
      kinds[kind] = { noCandidate: k.noCandidate, nodes };
    }
    return { sinceMs, kinds, recent: recent() };
  }

  function prometheus(): string {
    const out: string[] = [];
    const sorted = [...perKind].map(([kind, k]) => ({ kind, k, nodes: [...k.nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) }));
    // All samples of one metric form one group right after its HELP and TYPE lines (format 0.0.4).
    family(out, 'inference_mesh_requests_total', 'counter', 'Requests routed, by service kind, answering node and outcome.');
    for (const { kind, nodes } of sorted)
      for (const [node, c] of nodes)
        for (const outcome of OUTCOMES) out.push(sample('inference_mesh_requests_total', { kind, node, outcome }, c.byOutcome[outcome]));
    family(out, 'inference_mesh_failovers_total', 'counter', 'Candidates tried and passed over before this node answered.');
    for (const { kind, nodes } of sorted) for (const [node, c] of nodes) out.push(sample('inference_mesh_failovers_total', { kind, node }, c.failovers));
    family(out, 'inference_mesh_unreachable_total', 'counter', 'Routed requests a node failed before answering (refused, timed out, 5xx, an unsigned relay answer); the next node got them.');
    for (const { kind, nodes } of sorted) for (const [node, c] of nodes) out.push(sample('inference_mesh_unreachable_total', { kind, node }, c.unreachable));
    family(out, 'inference_mesh_no_candidate_total', 'counter', 'Requests that found no node to serve them.');
    for (const { kind, k } of sorted) out.push(sample('inference_mesh_no_candidate_total', { kind }, k.noCandidate));
    for (const [name, help, pick] of [
      ['inference_mesh_first_byte_seconds', 'Time from request to the first byte of the upstream response body.', (c: NodeCounters) => c.firstByte],
      ['inference_mesh_request_duration_seconds', 'Time from request to the end of the response.', (c: NodeCounters) => c.total],
    ] as const) {
      family(out, name, 'histogram', help);
      for (const { kind, nodes } of sorted) for (const [node, c] of nodes) histogramLines(out, name, { kind, node }, pick(c));
    }
    // The format requires every line, the last included, to end with a line feed.
    return `${out.join('\n')}\n`;
  }

  return {
    record,
    recordNoCandidate: (kind, detail) => {
      kindEntry(kind).noCandidate += 1;
      if (!detail) return;
      remember({
        atMs: opts.nowMs(),
        kind,
        model: detail.model === null ? null : clip(detail.model),
        substitutedModel: null,
        node: '—',
        status: detail.status,
        outcome: 'error',
        firstByteMs: null,
        totalMs: 0,
        failovers: 0,
        path: clip(detail.path),
        reason: clip(detail.reason),
      });
    },
    recordUnreachable: (kind, node) => {
      counters(kind, node).unreachable += 1;
    },
    snapshot,
    prometheus,
  };
}

function family(out: string[], name: string, type: 'counter' | 'histogram', help: string): void {
  // HELP text escapes only backslash and line feed; label values also escape the double quote.
  out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
}

/** Cumulative `_bucket` lines ending with `le="+Inf"` (equal to `_count`), then `_sum` and `_count`, in seconds. */
function histogramLines(out: string[], name: string, labels: Record<string, string>, h: Histogram): void {
  let cumulative = 0;
  h.counts.forEach((n, i) => {
    cumulative += n;
    const upperMs = LATENCY_BUCKETS_MS[i];
    // le formatted like client_golang's strconv.FormatFloat(v, 'g', -1, 64): "0.001", "2.5", "60".
    const le = upperMs === undefined ? '+Inf' : formatValue(upperMs / 1000);
    out.push(sample(`${name}_bucket`, { ...labels, le }, cumulative));
  });
  out.push(sample(`${name}_sum`, labels, h.sumMs / 1000), sample(`${name}_count`, labels, h.count));
}

function sample(name: string, labels: Record<string, string>, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${formatValue(value)}`;
}

/** Label values: backslash → `\\`, double quote → `\"`, line feed → `\n` (exposition format 0.0.4). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Values are Go ParseFloat floats; infinities and NaN have their own spellings in the format. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
