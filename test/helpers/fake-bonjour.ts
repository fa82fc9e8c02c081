/**
 * bonjour-service's real Browser on a fake multicast-dns emitter: tests feed it parsed mDNS
 * responses (as multicast-dns emits them) without sockets, thousands per second.
 */
import { EventEmitter } from 'node:events';
import { Browser, type Bonjour } from 'bonjour-service';
import type { Clock } from '../../agent/kernel/clock.js';
import type { MdnsOptions, MdnsSighting } from '../../discovery/mdns.js';
import { captureLog } from './capture-log.js';

const TYPE = '_inference-mesh._tcp.local';

export class FakeMdns extends EventEmitter {
  query(): void {}
  /** One response from `address`, as multicast-dns emits it. */
  respond(packet: ReturnType<typeof advert>, address: string): void {
    this.emit('response', packet, { address, port: 5353 });
  }
}

/** A parsed DNS-SD answer (RFC 6763 §4, §6): PTR → instance, SRV, TXT and an A record. */
export function advert(name: string, txt: Record<string, string>, address = '10.0.0.13', port = 7650) {
  const fqdn = `${name}.${TYPE}`;
  return {
    answers: [
      { name: TYPE, type: 'PTR', ttl: 4500, data: fqdn },
      { name: fqdn, type: 'SRV', ttl: 120, data: { target: `${name}.local`, port } },
      { name: fqdn, type: 'TXT', ttl: 4500, data: Object.entries(txt).map(([k, v]) => Buffer.from(`${k}=${v}`)) },
      { name: `${name}.local`, type: 'A', ttl: 120, data: address },
    ],
    additionals: [] as unknown[],
  };
}

/** A Bonjour whose find() returns a real Browser on `mdns`; `browser()` is the last one made. */
export function fakeBonjour(mdns: FakeMdns): { bonjour: Bonjour; browser: () => Browser } {
  let last: Browser | null = null;
  const bonjour = {
    publish: () => ({ stop: (cb: () => void) => cb() }),
    find: (o: { type: string }) => (last = new Browser(mdns, o)),
    unpublishAll: (cb: () => void) => cb(),
    destroy: (cb: () => void) => cb(),
  } as unknown as Bonjour;
  return {
    bonjour,
    browser: () => {
      if (!last) throw new Error('no browser yet');
      return last;
    },
  };
}

/**
 * A Bonjour whose Server is bonjour-service's shape: one 'query' listener on `mdns` (the test's
 * stand-in for respondToQuery, already attached) and the records it answers with.
 */
export function fakeResponder(mdns: FakeMdns, registry: Record<string, unknown[]>): Bonjour {
  return Object.assign(fakeBonjour(mdns).bonjour, { server: { mdns, registry } });
}

/** createMdnsDiscovery's options for a discovery on `bonjour` that keeps the adverts `keep` accepts. */
export function mdnsOptionsOn(bonjour: Bonjour, clock: Clock, keep: (s: MdnsSighting) => boolean = () => true): MdnsOptions {
  return {
    interfaces: ['127.0.0.1'],
    instanceName: 'self-1234',
    port: 7650,
    txt: () => ({}),
    clock,
    log: captureLog().log,
    createBonjour: () => bonjour,
    onSighting: keep,
    onGoodbye: () => undefined,
  };
}
