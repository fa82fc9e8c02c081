/**
 * Issue 11 from a hostile LAN host, in a netns lab (never the outside network): a host outside
 * `proxy.allowedCidrs` is refused everywhere but the signed peer protocol, random UDP and a flood of
 * distinct mDNS adverts with 8 KB TXT records leave the agent up and answering and write only a
 * few log lines. Bounded in count; the long RSS measurement is `npm run bench:hostile`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshFingerprint } from '../../discovery/mesh-key.js';
import { AGENT_PORT, startLabAgent, type LabAgent } from './agents.js';
import { createNetnsLab, netnsAvailable, type Lab } from './netns.js';

const available = await netnsAvailable();
const KEY = 'netns-hostile-mesh-key-0123456789';
const FLOOD = fileURLToPath(new URL('./fixtures/mdns-flood.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** GETs (or sends `method`) from inside `host` and returns the statuses, in order. */
async function statuses(lab: Lab, host: string, requests: { url: string; method?: string; headers?: Record<string, string> }[]): Promise<number[]> {
  const script = `const rs = ${JSON.stringify(requests)}; const out = []; for (const r of rs) { try { const res = await fetch(r.url, { method: r.method ?? 'GET', headers: r.headers ?? {}, signal: AbortSignal.timeout(10000) }); out.push(res.status); await res.body?.cancel(); } catch { out.push(0); } } console.log(JSON.stringify(out));`;
  const out = await lab.exec(host, [process.execPath, '--input-type=module', '-e', script], { timeoutMs: 60_000 });
  return JSON.parse(out.trim()) as number[];
}

describe.skipIf(!available)('a hostile LAN host (netns)', () => {
  let lab: Lab;
  let baseDir: string;
  let hub: LabAgent;
  let base: string;

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['hub', 'lan'] });
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-hostile-'));
    // The lab's 10.77/16 is private: narrow the allowed networks so the lan host is outside them.
    hub = await startLabAgent(lab, 'hub', { key: KEY, baseDir, config: { proxy: { allowedCidrs: ['192.168.0.0/16'] } } });
    base = `http://${lab.host('hub').address}:${AGENT_PORT}`;
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it('outside the allowed networks: 403 on reads, UI, /metrics, SSE, login and the routed endpoints; the peer protocol answers 401 itself', async () => {
    const got = await statuses(lab, 'lan', [
      { url: `${base}/api/v1/nodes` },
      { url: `${base}/api/v1/node` },
      { url: `${base}/api/v1/placement` },
      { url: `${base}/metrics` },
      { url: `${base}/` },
      { url: `${base}/api/v1/events` },
      { url: `${base}/api/v1/login`, method: 'POST' },
      { url: `${base}/ollama/api/tags` },
      { url: `${base}/ollama/api/delete`, method: 'DELETE' },
      { url: `${base}/api/v1/peer/ping` },
    ]);
    expect(got).toEqual([403, 403, 403, 403, 403, 403, 403, 403, 403, 401]);
    // The hub itself (loopback) is always let in.
    expect(await statuses(lab, 'hub', [{ url: `http://127.0.0.1:${AGENT_PORT}/api/v1/node` }])).toEqual([200]);
  });

  it('random UDP, 3,000 distinct adverts with 8 KB TXT and 500 copying the mesh fingerprint: still up and answering, a handful of log lines', async () => {
    const before = hub.output().split('\n').length;
    const from = lab.host('lan').address;
    const random = JSON.parse(await lab.exec('lan', [process.execPath, '--import', 'tsx', FLOOD, '--from', from, '--count', '500', '--random', '--per-sec', '2000'], { cwd: ROOT, timeoutMs: 60_000 })) as { sent: number };
    const flood = JSON.parse(await lab.exec('lan', [process.execPath, '--import', 'tsx', FLOOD, '--from', from, '--count', '3000', '--pad', '8000', '--per-sec', '1500'], { cwd: ROOT, timeoutMs: 60_000 })) as { sent: number };
    // Adverts copying the mesh's public fingerprint: each looks worth verifying (at most 8 at once).
    const copies = JSON.parse(await lab.exec('lan', [process.execPath, '--import', 'tsx', FLOOD, '--from', from, '--count', '500', '--mesh', meshFingerprint(KEY), '--per-sec', '1500'], { cwd: ROOT, timeoutMs: 60_000 })) as { sent: number };
    expect(random.sent).toBe(500);
    expect(flood.sent).toBe(3000);
    expect(copies.sent).toBe(500);
    expect(await statuses(lab, 'hub', [{ url: `http://127.0.0.1:${AGENT_PORT}/api/v1/health` }])).toEqual([200]);
    expect(hub.child.exitCode).toBeNull();
    const lines = hub.output().split('\n').slice(before - 1).filter((l) => l.trim() !== '');
    expect(lines.filter((l) => /ignoring an mDNS advert/.test(l))).toHaveLength(1); // the first ignored advert is named…
    expect(lines.length).toBeLessThan(10); // …the rest wait for the once-a-minute summary, and nothing else floods the log
  });
});
