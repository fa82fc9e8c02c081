import { describe, expect, it } from 'vitest';
import {
  parseTailscaleStatus,
  selectTailnetPeers,
  TailscaleStatusMalformedError,
  type TailnetFilter,
} from '../../../discovery/tailscale-status.js';
import { fakeNodeIds, fakeTailscaleStatus, goJsonIndent } from '../../fakes/fake-tailscale.js';

const all: TailnetFilter = { tags: [], hostnamePattern: null };
/** Through text and back, as the real readers see it. */
const statusOf = (opts: Parameters<typeof fakeTailscaleStatus>[0] = {}) =>
  parseTailscaleStatus(JSON.parse(goJsonIndent(fakeTailscaleStatus(opts), '\t')));
const names = (filter: TailnetFilter, opts: Parameters<typeof fakeTailscaleStatus>[0] = {}) =>
  selectTailnetPeers(statusOf(opts), filter).map((p) => p.hostName).sort();

describe('parseTailscaleStatus', () => {
  it('accepts a full status and keeps unknown fields (looseObject)', () => {
    const status = statusOf();
    expect(status.BackendState).toBe('Running');
    expect(status.Self?.HostName).toBe('gpu-box');
    expect((status as Record<string, unknown>).Version).toBe('1.102.3-t1234abcd-g5678ef90');
    expect(Object.keys(status.Peer ?? {})).toHaveLength(5);
  });

  it('accepts the logged-out shape (Self, Peer and TailscaleIPs null)', () => {
    const status = statusOf({ backendState: 'NeedsLogin' });
    expect(status.Self).toBeNull();
    expect(status.Peer).toBeNull();
  });

  it('rejects a changed format with a typed error naming the field', () => {
    const raw = fakeTailscaleStatus({ peers: [{ hostName: 'nas' }] });
    const peer = Object.values(raw.Peer as Record<string, Record<string, unknown>>)[0];
    if (peer) peer.Online = 'yes';
    expect(() => parseTailscaleStatus(raw)).toThrow(TailscaleStatusMalformedError);
    expect(() => parseTailscaleStatus(raw)).toThrow(/Peer\.nodekey:[0-9a-f]+\.Online/);
    expect(() => parseTailscaleStatus('<html>')).toThrow(/tailscale status is malformed: \(root\)/);
  });
});

describe('selectTailnetPeers', () => {
  it('keeps online peers only, never Self, sorted by id, with the DNS name lacking its trailing dot', () => {
    const peers = selectTailnetPeers(statusOf(), all);
    expect(peers.map((p) => p.hostName).sort()).toEqual(['gpu-2', 'mac-mini', 'nas', 'pixel-7']);
    expect(peers.map((p) => p.id)).toEqual([...peers.map((p) => p.id)].sort());
    expect(peers.find((p) => p.hostName === 'gpu-2')).toMatchObject({ dnsName: 'gpu-2.tail1a2b3c.ts.net', os: 'linux' });
  });

  it('excludes Self even when the Peer map carries it, and sharee nodes', () => {
    const self = { hostName: 'gpu-box' };
    const status = statusOf({ self, peers: [self, { hostName: 'nas' }, { hostName: 'friend', sharee: true }] });
    expect(selectTailnetPeers(status, all).map((p) => p.hostName)).toEqual(['nas']);
  });

  it('picks IPv4 and IPv6 by family, not by order', () => {
    const status = statusOf({ peers: [{ hostName: 'mac-mini', ipv6First: true }, { hostName: 'v6only', ipv4: null }] });
    const byName = new Map(selectTailnetPeers(status, all).map((p) => [p.hostName, p]));
    const mac = fakeNodeIds({ hostName: 'mac-mini' });
    expect(status.Peer?.[mac.nodeKey]?.TailscaleIPs?.[0]).toBe(mac.ipv6);
    expect(byName.get('mac-mini')).toMatchObject({ ipv4: mac.ipv4, ipv6: mac.ipv6 });
    expect(byName.get('v6only')).toMatchObject({ ipv4: null, ipv6: fakeNodeIds({ hostName: 'v6only' }).ipv6 });
  });

  const cases: { name: string; filter: TailnetFilter; want: string[] }[] = [
    { name: 'any of the tags', filter: { tags: ['tag:gpu', 'tag:none'], hostnamePattern: null }, want: ['gpu-2'] },
    { name: 'a tag without the tag: prefix', filter: { tags: ['ollama'], hostnamePattern: null }, want: ['gpu-2', 'mac-mini'] },
    { name: 'glob on HostName, case-insensitive', filter: { tags: [], hostnamePattern: 'GPU-*' }, want: ['gpu-2'] },
    { name: 'glob is anchored', filter: { tags: [], hostnamePattern: 'mini' }, want: [] },
    { name: 'glob on the DNS name', filter: { tags: [], hostnamePattern: '*.tail1a2b3c.ts.net.' }, want: ['gpu-2', 'mac-mini', 'nas', 'pixel-7'] },
    { name: 'glob metacharacters are literal', filter: { tags: [], hostnamePattern: 'n.s' }, want: [] },
    { name: 'tags and glob together', filter: { tags: ['tag:ollama'], hostnamePattern: 'mac*' }, want: ['mac-mini'] },
    { name: 'offline peers stay out even when they match', filter: { tags: [], hostnamePattern: 'old-*' }, want: [] },
  ];
  for (const c of cases) it(`filters: ${c.name}`, () => expect(names(c.filter)).toEqual(c.want));

  for (const state of ['NeedsLogin', 'NoState', 'Stopped', 'Starting', 'NeedsMachineAuth']) {
    it(`returns [] when BackendState is ${state}`, () => expect(names(all, { backendState: state })).toEqual([]));
  }
});
