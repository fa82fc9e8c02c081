import { describe, expect, it } from 'vitest';
import { readTailscaleStatus } from '../../../discovery/tailscale-client.js';
import { createTailnetSource, tailscaleRecheckMs, type TailnetPeerEndpoint } from '../../../discovery/tailnet-source.js';
import { createFakeTailscaleExec, fakeNodeIds, fakeTailscaleStatus, tailscaledNotRunning, type FakeTailnetNode } from '../../fakes/fake-tailscale.js';
import { captureLog } from '../../helpers/capture-log.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const intervalMs = 30_000;
const minute = 60_000;

function setup(initial: object | Error | 'missing', read?: (signal: AbortSignal) => Promise<unknown>) {
  const clock = new FakeClock();
  const { log, records } = captureLog();
  let answer = initial;
  const exec = createFakeTailscaleExec(() => answer);
  const published: TailnetPeerEndpoint[][] = [];
  const source = createTailnetSource({
    clock,
    log,
    intervalMs,
    timeoutMs: 5_000,
    read: read ?? ((signal) => readTailscaleStatus({ exec, platform: 'linux' }, signal)),
    filter: { tags: [], hostnamePattern: null },
    agentPort: 7650,
    onPeers: (peers) => published.push(peers),
    random: () => 0.5, // no jitter
  });
  const start = () => source.start(new AbortController().signal);
  const lines = (level: string, message?: string) => records.filter((r) => r.level === level && (message === undefined || r.message === message));
  return { clock, records, exec, published, source, start, lines, set: (a: object | Error | 'missing') => (answer = a) };
}

const hosts = (peers: TailnetPeerEndpoint[] | undefined) => (peers ?? []).map((p) => p.hostName).sort();
const url = (node: FakeTailnetNode) => `http://${fakeNodeIds(node).ipv4 ?? ''}:7650`;

describe('tailnet source', () => {
  it('reports peers with agent URLs, and calls onPeers only when the list changes', async () => {
    const t = setup(fakeTailscaleStatus());
    await t.start();
    await t.clock.advance(0);
    expect(t.published).toHaveLength(1);
    expect(hosts(t.published[0])).toEqual(['gpu-2', 'mac-mini', 'nas', 'pixel-7']);
    expect(t.published[0]?.find((p) => p.hostName === 'mac-mini')).toEqual({
      id: fakeNodeIds({ hostName: 'mac-mini' }).id,
      hostName: 'mac-mini',
      dnsName: 'mac-mini.tail1a2b3c.ts.net',
      url: url({ hostName: 'mac-mini' }), // IPv4 although the status lists IPv6 first
    });

    await t.clock.advance(5 * intervalMs);
    expect(t.exec.calls).toHaveLength(6);
    expect(t.published).toHaveLength(1);

    t.set(fakeTailscaleStatus({ peers: [{ hostName: 'nas' }, { hostName: 'v6-box', ipv4: null }, { hostName: 'gpu-2', online: false }] }));
    await t.clock.advance(intervalMs);
    expect(t.published).toHaveLength(2);
    expect(t.published[1]?.map((p) => p.url)).toEqual(
      [
        { id: fakeNodeIds({ hostName: 'nas' }).id, url: url({ hostName: 'nas' }) },
        { id: fakeNodeIds({ hostName: 'v6-box' }).id, url: `http://[${fakeNodeIds({ hostName: 'v6-box' }).ipv6 ?? ''}]:7650` },
      ]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((p) => p.url),
    );
    await t.clock.advance(intervalMs);
    expect(t.published).toHaveLength(2);
    expect(t.lines('warn')).toEqual([]);

    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('no tailscale at all: exactly one info line however long it runs, and only rare re-checks', async () => {
    const t = setup('missing');
    await t.start();
    await t.clock.advance(0);
    expect(t.lines('info')).toMatchObject([{ message: 'tailscale not found; tailnet discovery is off' }]);
    expect(t.clock.pendingTimers()).toBe(1); // the re-check, not the poll

    await t.clock.advance(24 * 60 * minute);
    expect(t.records).toHaveLength(1);
    expect(t.exec.calls).toHaveLength(1 + (24 * 60 * minute) / tailscaleRecheckMs);
    expect(t.published).toEqual([[]]);

    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
    await t.clock.advance(60 * minute);
    expect(t.exec.calls).toHaveLength(1 + (24 * 60 * minute) / tailscaleRecheckMs);
  });

  it('notices a later install at the next re-check and polls normally from then on', async () => {
    const t = setup('missing');
    await t.start();
    await t.clock.advance(0);
    t.set(fakeTailscaleStatus());
    await t.clock.advance(tailscaleRecheckMs - 1);
    expect(t.published).toEqual([[]]);
    await t.clock.advance(1);
    expect(t.lines('info').map((r) => r.message)).toEqual(['tailscale not found; tailnet discovery is off', 'tailscale found; tailnet discovery is on']);
    expect(hosts(t.published[1])).toEqual(['gpu-2', 'mac-mini', 'nas', 'pixel-7']);
    const calls = t.exec.calls.length;
    await t.clock.advance(intervalMs);
    expect(t.exec.calls).toHaveLength(calls + 1);
    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('not Running: one warn per distinct BackendState, onPeers([]), and peers again once it runs', async () => {
    const t = setup(fakeTailscaleStatus());
    await t.start();
    await t.clock.advance(0);
    t.set(fakeTailscaleStatus({ backendState: 'NeedsLogin' }));
    await t.clock.advance(10 * intervalMs);
    expect(t.published.map(hosts)).toEqual([['gpu-2', 'mac-mini', 'nas', 'pixel-7'], []]);
    t.set(fakeTailscaleStatus({ backendState: 'Stopped' }));
    await t.clock.advance(10 * intervalMs);
    t.set(fakeTailscaleStatus({ backendState: 'NeedsLogin' }));
    await t.clock.advance(10 * intervalMs);
    expect(t.lines('warn').map((r) => r.fields.backendState)).toEqual(['NeedsLogin', 'Stopped']);
    expect(t.published).toHaveLength(2);

    t.set(fakeTailscaleStatus());
    await t.clock.advance(intervalMs);
    expect(t.published).toHaveLength(3);
    t.set(fakeTailscaleStatus({ backendState: 'NeedsLogin' }));
    await t.clock.advance(intervalMs);
    expect(t.lines('warn')).toHaveLength(3); // a new outage is worth a new line
    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('malformed status: one warn per distinct message, and the last peers are kept', async () => {
    let answer: unknown = fakeTailscaleStatus();
    const t = setup('missing', async () => answer);
    await t.start();
    await t.clock.advance(0);
    answer = { BackendState: 'Running', Peer: { 'nodekey:ab': { ID: 'x' } } };
    await t.clock.advance(5 * intervalMs);
    answer = { Self: null };
    await t.clock.advance(5 * intervalMs);
    const warns = t.lines('warn', 'tailscale status unusable; keeping the last tailnet peers');
    expect(warns).toHaveLength(2);
    expect(String(warns[0]?.fields.error)).toMatch(/^tailscale status is malformed: Peer\.nodekey:ab\.HostName/);
    expect(t.published).toHaveLength(1);
    await t.source.stop();
  });

  it('a failing read (daemon down) is warned once by the loop and keeps the last peers', async () => {
    const t = setup(fakeTailscaleStatus());
    await t.start();
    await t.clock.advance(0);
    t.set(tailscaledNotRunning());
    await t.clock.advance(10 * intervalMs);
    expect(t.lines('warn')).toHaveLength(1);
    expect(String(t.lines('warn')[0]?.fields.error)).toMatch(/doesn't appear to be running/);
    expect(t.published).toHaveLength(1);
    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('stop() during a read, twice, and before start leaves nothing armed; a hung read times out', async () => {
    const t = setup('missing', (signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))));
    await t.source.stop();
    await t.start();
    await t.start(); // idempotent
    await t.clock.advance(5_000);
    expect(t.lines('warn', 'probe failed')).toHaveLength(1);
    await t.clock.advance(intervalMs); // the next read is in flight now
    await Promise.all([t.source.stop(), t.source.stop()]);
    expect(t.clock.pendingTimers()).toBe(0);
    expect(t.published).toEqual([]);
  });

  it('stop() while waiting for the re-check cancels it; a restart polls again', async () => {
    const t = setup('missing');
    await t.start();
    await t.clock.advance(0);
    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
    t.set(fakeTailscaleStatus());
    await t.start();
    await t.clock.advance(0);
    expect(hosts(t.published.at(-1))).toEqual(['gpu-2', 'mac-mini', 'nas', 'pixel-7']);
    await t.source.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });
});
