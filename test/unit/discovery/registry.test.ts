import { describe, expect, it } from 'vitest';
import { createPeerRegistry, type RegistryEvents } from '../../../discovery/registry.js';
import type { NodeAdvert } from '../../../discovery/advert.js';
import { captureLog } from '../../helpers/capture-log.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

const SELF = 'a'.repeat(32);
const PEER = 'b'.repeat(32);
const LAN = 'http://192.168.1.20:7650';
const TAILNET = 'http://100.90.1.7:7650';

function setup(downAfterMs = 3000) {
  const registry = createPeerRegistry({ selfId: SELF, downAfterMs, log: captureLog().log });
  const events: { event: keyof RegistryEvents; payload: unknown }[] = [];
  for (const event of ['node-added', 'node-updated', 'node-state', 'node-removed'] as const) registry.on(event, (payload) => events.push({ event, payload }));
  return { registry, events };
}

const peerAdvert = (overrides: Partial<NodeAdvert> = {}): NodeAdvert => sampleAdvert({ nodeId: PEER, name: 'gaming-pc', ...overrides });
const fail = (definitive = false) => ({ ok: false as const, error: definitive ? 'connection refused' : 'no answer within 1000 ms', definitive });

describe('peer registry', () => {
  it('a health check that only moves the times is kept quietly: no event, no version change (issue 17)', () => {
    const { registry, events } = setup();
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'mdns', url: LAN, nowMs: 1000, addr: '192.168.1.20:7650' });
    const version = registry.version();
    const before = events.length;
    for (let t = 2000; t <= 10_000; t += 1000) registry.recordCheck(PEER, LAN, { ok: true, seq: 1, addr: '192.168.1.20:7650' }, t);
    expect(events.length).toBe(before);
    expect(registry.version()).toBe(version);
    expect(registry.get(PEER)?.lastSeenMs).toBe(10_000);
    registry.recordCheck(PEER, LAN, { ok: false, error: 'no answer within 1000 ms', definitive: false }, 10_500);
    expect(events.slice(before).map((e) => e.event)).toEqual(['node-state']); // a real change is told
    expect(registry.version()).toBe(version + 1);
  });

  it('lists self first and deduplicates a node seen on two sources by node id', () => {
    const { registry } = setup();
    registry.setSelf(sampleAdvert({ nodeId: SELF, name: 'hub' }), 1, 'http://127.0.0.1:7650', 1000);
    registry.upsertMember({ advert: peerAdvert(), seq: 3, source: 'tailnet', url: TAILNET, nowMs: 1000 });
    registry.upsertMember({ advert: peerAdvert(), seq: 3, source: 'mdns', url: LAN, nowMs: 1001 });
    const [self, peer, ...rest] = registry.snapshot();
    expect(rest).toHaveLength(0);
    expect(self?.name).toBe('hub');
    expect(peer).toMatchObject({ nodeId: PEER, state: 'up', sources: ['mdns', 'tailnet'], activeUrl: LAN, addresses: ['192.168.1.20', '100.90.1.7'], macs: ['aa:bb:cc:dd:ee:ff'] });
  });

  it('prefers the LAN path, switches to the tailnet when the LAN fails, and back when it answers again', () => {
    const { registry } = setup();
    registry.upsertMember({ advert: peerAdvert(), seq: 3, source: 'mdns', url: LAN, nowMs: 0 });
    registry.upsertMember({ advert: peerAdvert(), seq: 3, source: 'tailnet', url: TAILNET, nowMs: 0 });
    expect(registry.get(PEER)?.activeUrl).toBe(LAN);
    registry.recordCheck(PEER, LAN, fail(), 1000);
    registry.recordCheck(PEER, TAILNET, { ok: true, seq: 3 }, 1000);
    expect(registry.get(PEER)).toMatchObject({ state: 'up', activeUrl: TAILNET });
    registry.recordCheck(PEER, LAN, { ok: true, seq: 3 }, 2000);
    expect(registry.get(PEER)).toMatchObject({ state: 'up', activeUrl: LAN });
  });

  it.each([
    // [what happens, checks after the last success at t=0, expected state]
    ['one timeout', [[500, false]], 'suspect'],
    ['timeouts for less than downAfterMs', [[1000, false], [2000, false], [2999, false]], 'suspect'],
    ['timeouts for downAfterMs', [[1000, false], [2000, false], [3000, false]], 'down'],
    ['connection refused', [[1000, true]], 'down'],
  ] as const)('%s → %s', (_what, checks, expected) => {
    const { registry } = setup();
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'mdns', url: LAN, nowMs: 0 });
    for (const [t, definitive] of checks) registry.recordCheck(PEER, LAN, fail(definitive), t);
    expect(registry.get(PEER)?.state).toBe(expected);
  });

  it('a down node stays down on further failures and comes back only through a successful check', () => {
    const { registry, events } = setup();
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'mdns', url: LAN, nowMs: 0 });
    registry.recordCheck(PEER, LAN, fail(true), 100);
    expect(registry.get(PEER)?.downSinceMs).toBe(100);
    registry.recordCheck(PEER, LAN, fail(false), 200);
    expect(registry.get(PEER)).toMatchObject({ state: 'down', downSinceMs: 100 });
    registry.recordCheck(PEER, LAN, { ok: true, seq: 1 }, 5000);
    expect(registry.get(PEER)).toMatchObject({ state: 'up', downSinceMs: null, lastSeenMs: 5000 });
    const transitions = events.filter((e) => e.event === 'node-state').map((e) => {
      const p = e.payload as RegistryEvents['node-state'];
      return `${p.from}→${p.to}`;
    });
    expect(transitions).toEqual(['up→down', 'down→up']);
  });

  it('one path failing definitively does not take the node down while another answers', () => {
    const { registry } = setup();
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'mdns', url: LAN, nowMs: 0 });
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'tailnet', url: TAILNET, nowMs: 0 });
    registry.recordCheck(PEER, LAN, fail(true), 100);
    expect(registry.get(PEER)).toMatchObject({ state: 'up', activeUrl: TAILNET });
  });

  it('emits added, updated (new advert) and removed; an identical update emits nothing', () => {
    const { registry, events } = setup();
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'static', url: LAN, nowMs: 0 });
    registry.upsertMember({ advert: peerAdvert(), seq: 1, source: 'static', url: LAN, nowMs: 0 });
    registry.upsertMember({ advert: peerAdvert({ name: 'renamed' }), seq: 2, source: 'static', url: LAN, nowMs: 0 });
    registry.removePath(PEER, LAN);
    expect(events.map((e) => e.event)).toEqual(['node-added', 'node-updated', 'node-removed']);
    expect(registry.get(PEER)).toBeUndefined();
  });

  it('restores persisted peers as down, with their MACs, before they answer; ignores a persisted self', () => {
    const first = setup();
    first.registry.setSelf(sampleAdvert({ nodeId: SELF, name: 'hub' }), 1, 'http://127.0.0.1:7650', 0);
    first.registry.upsertMember({ advert: peerAdvert(), seq: 4, source: 'mdns', url: LAN, nowMs: 1000 });
    const saved = first.registry.snapshot();
    const second = setup();
    second.registry.restore(saved);
    expect(second.registry.snapshot()).toHaveLength(1);
    expect(second.registry.get(PEER)).toMatchObject({ state: 'down', macs: ['aa:bb:cc:dd:ee:ff'], lastSeenMs: 1000, activeUrl: null });
    expect(second.registry.get(PEER)?.paths[0]?.ok).toBeNull();
  });

  it('never lets a peer claim our own node id', () => {
    const { registry } = setup();
    registry.setSelf(sampleAdvert({ nodeId: SELF, name: 'hub' }), 1, 'http://127.0.0.1:7650', 0);
    registry.upsertMember({ advert: sampleAdvert({ nodeId: SELF, name: 'impostor' }), seq: 9, source: 'mdns', url: LAN, nowMs: 0 });
    registry.recordCheck(SELF, LAN, fail(true), 10);
    registry.remove(SELF);
    expect(registry.snapshot()).toHaveLength(1);
    expect(registry.get(SELF)).toMatchObject({ name: 'hub', state: 'up' });
  });
});
