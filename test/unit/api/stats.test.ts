import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  LATENCY_BUCKETS_MS,
  RECENT_LIMIT,
  createProxyStats,
  estimateQuantileMs,
  type ProxyRequestEvent,
  type ProxyStats,
  type ProxyStatsSnapshot,
} from '../../../api/proxy/stats.js';
import { statsRoutes } from '../../../api/routes/stats.js';

function fakeClock(startMs = 1_000_000) {
  let t = startMs;
  return { nowMs: () => t, advance: (ms: number) => void (t += ms) };
}

function ev(over: Partial<ProxyRequestEvent> = {}): ProxyRequestEvent {
  return { kind: 'ollama', node: 'gaming-pc', outcome: 'ok', status: 200, failovers: 0, firstByteMs: 20, totalMs: 40, model: 'llama3.2', path: '/api/chat', ...over };
}

// --- A small parser for the text exposition format 0.0.4, strict enough to catch malformed output:
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL_PAIR = `[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}`;
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(\\{(?:${LABEL_PAIR})(?:,${LABEL_PAIR})*\\})? (\\S+)$`);
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

function unescapeLabel(raw: string): string {
  return raw.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; helps: Set<string> } {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>(); // families whose group of lines has ended
  let current: string | null = null;
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, what, name = ''] = meta;
      if (name !== current) {
        if (current !== null) finished.add(current);
        expect(finished.has(name), `family ${name} appears twice`).toBe(false);
        current = name;
      }
      if (what === 'TYPE') {
        expect(types.has(name)).toBe(false);
        expect(['counter', 'histogram']).toContain(meta[3]);
        types.set(name, meta[3] ?? '');
      } else helps.add(name);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    expect(m, `not a sample line: ${JSON.stringify(line)}`).not.toBeNull();
    const [, name = '', labelText = '', valueText = ''] = m ?? [];
    expect(valueText).toMatch(VALUE);
    // A sample belongs to the family declared just above it (histogram samples carry suffixes).
    expect(current).not.toBeNull();
    expect(name === current || (types.get(current ?? '') === 'histogram' && /_(bucket|sum|count)$/.test(name) && name.replace(/_(bucket|sum|count)$/, '') === current)).toBe(true);
    const labels: Record<string, string> = {};
    for (const pair of labelText.slice(1, -1).matchAll(new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)=(${LABEL_VALUE})`, 'g'))) {
      labels[pair[1] ?? ''] = unescapeLabel((pair[2] ?? '""').slice(1, -1));
    }
    samples.push({ name, labels, value: valueText === '+Inf' ? Infinity : Number(valueText) });
  }
  return { samples, types, helps };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

describe('proxy stats: counters', () => {
  it('counts requests, errors and aborts per kind and node; failovers add up', () => {
    const s = createProxyStats({ nowMs: fakeClock().nowMs });
    s.record(ev());
    s.record(ev({ outcome: 'error', status: 502, firstByteMs: null, failovers: 1 }));
    s.record(ev({ outcome: 'aborted', status: 200, failovers: 2 }));
    s.record(ev({ node: 'hub' }));
    s.record(ev({ kind: 'immich-ml', node: 'hub', path: '/predict', model: null }));
    const snap = s.snapshot();
    expect(snap.kinds.ollama.nodes['gaming-pc']).toMatchObject({ requests: 3, errors: 1, aborted: 1, failovers: 3 });
    expect(snap.kinds.ollama.nodes.hub).toMatchObject({ requests: 1, errors: 0, aborted: 0, failovers: 0 });
    expect(snap.kinds['immich-ml'].nodes.hub).toMatchObject({ requests: 1, errors: 0 });
    expect(Object.keys(snap.kinds['immich-ml'].nodes)).toEqual(['hub']);
  });

  it('counts requests that found no node, per kind; every kind is present from the start', () => {
    const clock = fakeClock(5000);
    const s = createProxyStats({ nowMs: clock.nowMs });
    expect(s.snapshot()).toEqual({ sinceMs: 5000, kinds: { ollama: { noCandidate: 0, nodes: {} }, 'immich-ml': { noCandidate: 0, nodes: {} }, whisper: { noCandidate: 0, nodes: {} } }, recent: [] });
    s.recordNoCandidate('immich-ml');
    s.recordNoCandidate('immich-ml');
    s.recordNoCandidate('ollama');
    clock.advance(10);
    const snap = s.snapshot();
    expect(snap.sinceMs).toBe(5000);
    expect(snap.kinds['immich-ml'].noCandidate).toBe(2);
    expect(snap.kinds.ollama.noCandidate).toBe(1);
  });

  it('a node called __proto__ is plain data, and the snapshot survives JSON', () => {
    const s = createProxyStats({ nowMs: () => 0 });
    s.record(ev({ node: '__proto__' }));
    const snap = JSON.parse(JSON.stringify(s.snapshot())) as ProxyStatsSnapshot;
    expect(Object.keys(snap.kinds.ollama.nodes)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(snap.kinds.ollama.nodes, '__proto__')?.value).toMatchObject({ requests: 1 });
  });
});

describe('proxy stats: percentiles', () => {
  it('interpolates linearly inside the bucket holding the rank (as histogram_quantile does)', () => {
    const s = createProxyStats({ nowMs: () => 0 });
    // 10 in (2.5, 5] ms and 10 in (25, 50] ms.
    for (let i = 0; i < 10; i++) s.record(ev({ firstByteMs: 3, totalMs: 30 }));
    for (let i = 0; i < 10; i++) s.record(ev({ firstByteMs: 3, totalMs: 3 }));
    const node = s.snapshot().kinds.ollama.nodes['gaming-pc'];
    // p50: rank 10 → end of (2.5, 5]; p90: rank 18 → 8/10 into (25, 50]; p99: rank 19.8 → 9.8/10 into it.
    expect(node?.totalMs).toEqual({ p50: 5, p90: 45, p99: 49.5 });
    // All 20 in (2.5, 5]: p50 = 2.5 + 2.5·10/20.
    expect(node?.firstByteMs).toEqual({ p50: 3.75, p90: 4.75, p99: 4.975 });
  });

  it('the first bucket starts at 0; a rank in +Inf reads as the highest finite bound', () => {
    const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    counts[0] = 4;
    expect(estimateQuantileMs(counts, 0.5)).toBe(0.5);
    counts[LATENCY_BUCKETS_MS.length] = 96;
    expect(estimateQuantileMs(counts, 0.99)).toBe(60_000);
    expect(estimateQuantileMs(new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), 0.5)).toBeNull();
  });

  it('no first byte → no first-byte observation; no observation at all → null', () => {
    const s = createProxyStats({ nowMs: () => 0 });
    s.record(ev({ outcome: 'error', status: 502, firstByteMs: null, totalMs: 7 }));
    const node = s.snapshot().kinds.ollama.nodes['gaming-pc'];
    expect(node?.firstByteMs).toBeNull();
    expect(node?.totalMs).not.toBeNull();
    const { samples } = parseExposition(s.prometheus());
    expect(value(samples, 'inference_mesh_first_byte_seconds_count', { kind: 'ollama', node: 'gaming-pc' })).toBe(0);
    expect(value(samples, 'inference_mesh_request_duration_seconds_count', { kind: 'ollama', node: 'gaming-pc' })).toBe(1);
  });
});

describe('proxy stats: recent requests', () => {
  it('keeps the last RECENT_LIMIT, newest first, stamped by the injected clock', () => {
    const clock = fakeClock(0);
    const s = createProxyStats({ nowMs: clock.nowMs });
    for (let i = 0; i < RECENT_LIMIT + 37; i++) {
      clock.advance(1);
      s.record(ev({ path: `/api/chat/${i}`, substitutedModel: i === RECENT_LIMIT + 36 ? 'llama3.2:1b' : undefined }));
    }
    const recent = s.snapshot().recent;
    expect(recent).toHaveLength(RECENT_LIMIT);
    expect(recent[0]).toEqual({
      atMs: RECENT_LIMIT + 37,
      kind: 'ollama',
      model: 'llama3.2',
      substitutedModel: 'llama3.2:1b',
      node: 'gaming-pc',
      status: 200,
      outcome: 'ok',
      firstByteMs: 20,
      totalMs: 40,
      failovers: 0,
      path: `/api/chat/${RECENT_LIMIT + 36}`,
      reason: null,
    });
    expect(recent.at(-1)?.path).toBe('/api/chat/37');
    expect(recent.map((r) => r.atMs)).toEqual([...recent.map((r) => r.atMs)].sort((a, b) => b - a));
    // Counters are not bounded by the ring.
    expect(s.snapshot().kinds.ollama.nodes['gaming-pc']?.requests).toBe(RECENT_LIMIT + 37);
  });

  it('cuts very long paths so the ring stays small', () => {
    const s = createProxyStats({ nowMs: () => 0 });
    s.record(ev({ path: `/x${'a'.repeat(10_000)}` }));
    expect(s.snapshot().recent[0]?.path.length).toBeLessThanOrEqual(256);
  });
});

describe('proxy stats: Prometheus exposition', () => {
  function busy(): ProxyStats {
    const s = createProxyStats({ nowMs: () => 0 });
    for (const ms of [0.5, 1, 3, 30, 300, 3000, 90_000]) s.record(ev({ firstByteMs: ms / 2, totalMs: ms }));
    s.record(ev({ outcome: 'error', status: 502, firstByteMs: null, totalMs: 12, failovers: 2 }));
    s.record(ev({ kind: 'immich-ml', node: 'hub', path: '/predict' }));
    s.recordNoCandidate('ollama');
    s.recordUnreachable('ollama', 'gaming-pc');
    s.recordUnreachable('ollama', 'gaming-pc');
    s.recordUnreachable('immich-ml', 'laptop');
    return s;
  }

  it('every line is HELP, TYPE or `name{labels} value`; one group per family', () => {
    const { samples, types, helps } = parseExposition(busy().prometheus());
    expect(Object.fromEntries(types)).toEqual({
      inference_mesh_requests_total: 'counter',
      inference_mesh_failovers_total: 'counter',
      inference_mesh_unreachable_total: 'counter',
      inference_mesh_no_candidate_total: 'counter',
      inference_mesh_first_byte_seconds: 'histogram',
      inference_mesh_request_duration_seconds: 'histogram',
    });
    expect([...helps].sort()).toEqual([...types.keys()].sort());
    expect(value(samples, 'inference_mesh_requests_total', { kind: 'ollama', node: 'gaming-pc', outcome: 'ok' })).toBe(7);
    expect(value(samples, 'inference_mesh_requests_total', { kind: 'ollama', node: 'gaming-pc', outcome: 'error' })).toBe(1);
    expect(value(samples, 'inference_mesh_requests_total', { kind: 'ollama', node: 'gaming-pc', outcome: 'aborted' })).toBe(0);
    expect(value(samples, 'inference_mesh_requests_total', { kind: 'immich-ml', node: 'hub', outcome: 'ok' })).toBe(1);
    expect(value(samples, 'inference_mesh_failovers_total', { kind: 'ollama', node: 'gaming-pc' })).toBe(2);
    expect(value(samples, 'inference_mesh_unreachable_total', { kind: 'ollama', node: 'gaming-pc' })).toBe(2);
    expect(value(samples, 'inference_mesh_unreachable_total', { kind: 'immich-ml', node: 'laptop' })).toBe(1);
    expect(busy().snapshot().kinds.ollama.nodes['gaming-pc']?.unreachable).toBe(2);
    expect(value(samples, 'inference_mesh_no_candidate_total', { kind: 'ollama' })).toBe(1);
    expect(value(samples, 'inference_mesh_no_candidate_total', { kind: 'immich-ml' })).toBe(0);
    expect(value(samples, 'inference_mesh_request_duration_seconds_sum', { kind: 'ollama', node: 'gaming-pc' })).toBeCloseTo(93.3465, 6);
  });

  it('buckets are cumulative, in seconds, and end with +Inf equal to _count', () => {
    const { samples } = parseExposition(busy().prometheus());
    const expectedLe = [...LATENCY_BUCKETS_MS.map((ms) => String(ms / 1000)), '+Inf'];
    expect(expectedLe.slice(0, 3)).toEqual(['0.001', '0.0025', '0.005']);
    let series = 0;
    for (const name of ['inference_mesh_first_byte_seconds', 'inference_mesh_request_duration_seconds']) {
      for (const node of [
        { kind: 'ollama', node: 'gaming-pc' },
        { kind: 'immich-ml', node: 'hub' },
      ]) {
        const buckets = samples.filter((s) => s.name === `${name}_bucket` && s.labels.kind === node.kind && s.labels.node === node.node);
        expect(buckets.map((b) => b.labels.le)).toEqual(expectedLe);
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]?.value).toBeGreaterThanOrEqual(buckets[i - 1]?.value ?? Infinity);
        expect(buckets.at(-1)?.value).toBe(value(samples, `${name}_count`, node));
        series++;
      }
    }
    expect(series).toBe(4);
    const total = (le: string) => value(samples, 'inference_mesh_request_duration_seconds_bucket', { kind: 'ollama', node: 'gaming-pc', le });
    // 0.5 and 1 ms are ≤ 1 ms (le is inclusive); 90 s is only in +Inf.
    expect(total('0.001')).toBe(2);
    expect(total('0.025')).toBe(4); // + 3 ms, 12 ms
    expect(total('60')).toBe(7);
    expect(total('+Inf')).toBe(8);
  });

  it('escapes backslash, double quote and line feed in label values', () => {
    const s = createProxyStats({ nowMs: () => 0 });
    const nasty = 'pc "one"\\two\nthree';
    s.record(ev({ node: nasty }));
    const text = s.prometheus();
    expect(text).toContain('node="pc \\"one\\"\\\\two\\nthree"');
    const { samples } = parseExposition(text);
    expect(value(samples, 'inference_mesh_requests_total', { kind: 'ollama', node: nasty, outcome: 'ok' })).toBe(1);
  });

  it('with nothing recorded it is still valid: families declared, no-candidate counters at 0', () => {
    const { samples, types } = parseExposition(createProxyStats({ nowMs: () => 0 }).prometheus());
    expect(types.size).toBe(6);
    expect(samples.map((x) => x.name)).toEqual(['inference_mesh_no_candidate_total', 'inference_mesh_no_candidate_total', 'inference_mesh_no_candidate_total']);
  });
});

describe('stats routes', () => {
  const s = createProxyStats({ nowMs: () => 42 });
  s.record(ev());
  const app = new Hono().route('/', statsRoutes({ stats: () => s }));

  it('GET /api/v1/stats → the JSON snapshot', async () => {
    const res = await app.request('/api/v1/stats');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(s.snapshot())));
  });

  it('GET /metrics → text exposition 0.0.4', async () => {
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toBe(s.prometheus());
    expect(value(parseExposition(text).samples, 'inference_mesh_requests_total', { kind: 'ollama', node: 'gaming-pc', outcome: 'ok' })).toBe(1);
  });

  it('the getter is read per request, so stats built after the routes are seen', async () => {
    let current = createProxyStats({ nowMs: () => 0 });
    const late = statsRoutes({ stats: () => current });
    current = createProxyStats({ nowMs: () => 0 });
    current.recordNoCandidate('immich-ml');
    const body = (await (await late.request('/api/v1/stats')).json()) as ProxyStatsSnapshot;
    expect(body.kinds['immich-ml'].noCandidate).toBe(1);
  });

  it('a request no node could take is counted, and listed with its reason when the caller says it (issue 16)', () => {
    const s = createProxyStats({ nowMs: () => 5 });
    s.recordNoCandidate('ollama');
    s.recordNoCandidate('ollama', { model: 'llama3.1:70b', path: '/api/chat', status: 404, reason: 'no computer offered now has llama3.1:70b' });
    expect(s.snapshot().kinds.ollama.noCandidate).toBe(2);
    expect(s.snapshot().recent).toEqual([
      { atMs: 5, kind: 'ollama', model: 'llama3.1:70b', substitutedModel: null, node: '—', status: 404, outcome: 'error', firstByteMs: null, totalMs: 0, failovers: 0, path: '/api/chat', reason: 'no computer offered now has llama3.1:70b' },
    ]);
  });
});
