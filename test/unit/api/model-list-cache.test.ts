import { describe, expect, it } from 'vitest';
import { advertListVersion, createModelListCache, type ListPath } from '../../../api/proxy/model-list-cache.js';
import type { Target } from '../../../api/proxy/targets.js';

const target = (nodeId: string): Target => ({ nodeId, name: nodeId, via: 'relay', host: '10.0.0.1', port: 7650, pathPrefix: '/api/v1/peer/relay/ollama', dialled: '10.0.0.1:7650' });

function setup() {
  let now = 0;
  const calls: string[] = [];
  const versions = new Map<string, string | null>();
  let fail = false;
  const cache = createModelListCache({
    fetch: async (t, path) => {
      calls.push(`${t.nodeId}${path}`);
      await new Promise((r) => setTimeout(r, 1));
      if (fail) throw new Error('refused');
      return [{ name: `${t.nodeId}-model` }];
    },
    version: (nodeId, path: ListPath) => versions.get(`${nodeId}${path}`) ?? null,
    nowMs: () => now,
    maxAgeMs: { '/api/tags': 60_000, '/api/ps': 5000 },
    onError: () => undefined,
  });
  return { cache, calls, versions, advance: (ms: number) => (now += ms), failing: (v: boolean) => (fail = v) };
}

describe('model list cache (issue 14)', () => {
  it('50 nodes: one fetch each, shared by concurrent callers and kept while the adverts show no change', async () => {
    const s = setup();
    const nodes = Array.from({ length: 50 }, (_, i) => target(`n${i}`));
    for (const n of nodes) s.versions.set(`${n.nodeId}/api/tags`, 'a:1');
    const [one, two] = await Promise.all([s.cache.lists(nodes, '/api/tags'), s.cache.lists(nodes, '/api/tags')]);
    expect(s.calls).toHaveLength(50);
    expect(one).toEqual(two);
    await s.cache.lists(nodes, '/api/tags');
    expect(s.calls).toHaveLength(50);
    s.versions.set('n7/api/tags', 'a:1,b:2'); // n7 pulled a model
    await s.cache.lists(nodes, '/api/tags');
    expect(s.calls.slice(50)).toEqual(['n7/api/tags']);
  });

  it('fetches again after the maximum age, always when the version is unknown, and never keeps a failure', async () => {
    const s = setup();
    const n = [target('a')];
    s.versions.set('a/api/ps', 'm@1');
    await s.cache.lists(n, '/api/ps');
    s.advance(4000);
    await s.cache.lists(n, '/api/ps');
    expect(s.calls).toHaveLength(1);
    s.advance(1000);
    await s.cache.lists(n, '/api/ps');
    expect(s.calls).toHaveLength(2);
    await s.cache.lists([target('unknown')], '/api/tags');
    await s.cache.lists([target('unknown')], '/api/tags');
    expect(s.calls.filter((c) => c.startsWith('unknown'))).toHaveLength(2);
    s.versions.set('b/api/tags', 'x');
    s.failing(true);
    expect(await s.cache.lists([target('b')], '/api/tags')).toEqual([[]]);
    s.failing(false);
    expect(await s.cache.lists([target('b')], '/api/tags')).toEqual([[{ name: 'b-model' }]]);
  });

  it('the version comes from the advert: models for tags, loaded models with their expiry for ps', () => {
    const ollama = { models: [{ name: 'a', sizeBytes: 1 }], loaded: [{ name: 'a', expiresAt: 't1' }] };
    expect(advertListVersion(ollama, '/api/tags')).toBe('a:1');
    expect(advertListVersion(ollama, '/api/ps')).toBe('a@t1');
    expect(advertListVersion(null, '/api/tags')).toBeNull();
  });
});
