/**
 * mDNS with bonjour-service: publishes `_inference-mesh._tcp` with the tiny TXT and browses for
 * peers. Facts we handle ourselves (TOOLCHAIN.md, PROTOCOLS.md §5.1):
 * - pin an interface only together with `bind: '0.0.0.0'`, or nothing is received;
 * - a crashed peer never produces 'down': liveness comes from our health checks, 'down' (a
 *   goodbye) only asks for an immediate check;
 * - name conflicts stop publishing silently: the instance name carries the node id;
 * - A records list every address of the host: the packet's source comes first as the path to try;
 * - graceful stop is `unpublishAll(() => destroy())`, never both back to back;
 * - multicast-dns emits socket errors on an emitter bonjour-service leaves unhandled, which would
 *   crash the process: we listen on it.
 */
import { Bonjour, type Browser, type Service as BonjourService } from 'bonjour-service';
import type { CancelTimer, Clock } from '../agent/clock.js';
import { describeError } from '../agent/errors.js';
import type { Service } from '../agent/lifecycle.js';
import type { Logger } from '../agent/log.js';
import { MDNS_SERVICE_TYPE } from './txt-record.js';

/** What the browser saw: a raw advert, to be decoded and verified by the caller. */
export interface MdnsSighting {
  instance: string;
  txt: unknown;
  /** Addresses to try, best first: the packet's source, then the advertised IPv4 addresses. */
  addresses: string[];
  port: number;
}

export interface MdnsOptions {
  /** IPv4 addresses of interfaces to use; empty = let the OS choose (all). */
  interfaces: readonly string[];
  instanceName: string;
  port: number;
  /** The TXT to publish now (read again on each republish). */
  txt: () => Record<string, string>;
  clock: Clock;
  log: Logger;
  /**
   * The longest wait between two queries for peers. RFC 6762 §5.2: the first query at start, the
   * next after one second, each interval at least twice the previous one, capped at 60 minutes.
   */
  requeryMaxMs?: number;
  /** Creates a bonjour instance; tests may wrap it. */
  createBonjour?: (opts: { interface?: string; bind?: string }, onError: (err: unknown) => void) => Bonjour;
  onSighting: (sighting: MdnsSighting) => void;
  onGoodbye: (instance: string) => void;
}

export interface MdnsDiscovery extends Service {
  /** Re-publishes with the current TXT (e.g. after `seq` changed). */
  republish(): void;
}

interface Instance {
  bonjour: Bonjour;
  browser: Browser;
  service: BonjourService;
}

export function createMdnsDiscovery(opts: MdnsOptions): MdnsDiscovery {
  // bonjour-service types its options as a ServiceConfig, but passes them on to multicast-dns.
  const createBonjour = opts.createBonjour ?? ((o, onError) => new Bonjour(o as Record<string, never>, onError));
  let instances: Instance[] = [];
  let cancelRequery: CancelTimer | null = null;
  let running = false;

  const onSocketError = (err: unknown): void => {
    opts.log.once(`mdns-socket:${describeError(err)}`, 'warn', 'mDNS socket error (discovery on the LAN may not work)', { error: describeError(err) });
  };

  const publish = (bonjour: Bonjour): BonjourService =>
    // probe: false — the name carries our node id so it cannot clash, and probing would delay the
    // first announcement by ~1 s (TOOLCHAIN.md); disableIPv6 because we connect over IPv4.
    bonjour.publish({ name: opts.instanceName, type: MDNS_SERVICE_TYPE, port: opts.port, txt: opts.txt(), probe: false, disableIPv6: true });

  const sighted = (service: BonjourService): void => {
    try {
      const addresses = [service.referer?.address, ...(service.addresses ?? [])].filter(
        (a): a is string => typeof a === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(a),
      );
      opts.onSighting({ instance: service.name, txt: service.txt as unknown, addresses: [...new Set(addresses)], port: service.port });
    } catch (err) {
      opts.log.once(`mdns-sighting:${service.name}`, 'warn', 'ignoring a malformed mDNS advert', { instance: service.name, error: describeError(err) });
    }
  };

  // RFC 6762 §5.2 continuous querying: 1 s, 2 s, 4 s, … up to the cap. Machines that boot together
  // miss each other's first announcements; these early queries find them within seconds (issue 17).
  const requery = (delayMs: number): void => {
    if (!running) return;
    cancelRequery = opts.clock.setTimeout(() => {
      for (const i of instances) i.browser.update();
      requery(Math.min(delayMs * 2, opts.requeryMaxMs ?? 3_600_000));
    }, delayMs);
  };

  return {
    name: 'mdns',
    async start(signal) {
      if (signal.aborted || running) return;
      running = true;
      const targets = opts.interfaces.length > 0 ? opts.interfaces.map((address) => ({ interface: address, bind: '0.0.0.0' })) : [{}];
      for (const target of targets) {
        const bonjour = createBonjour(target, onSocketError);
        // bonjour-service keeps its multicast-dns instance private; its 'error' event is unhandled there.
        (bonjour as unknown as { server?: { mdns?: { on(e: string, l: (err: unknown) => void): void } } }).server?.mdns?.on('error', onSocketError);
        const service = publish(bonjour);
        const browser = bonjour.find({ type: MDNS_SERVICE_TYPE });
        browser.on('up', sighted);
        browser.on('txt-update', sighted);
        browser.on('srv-update', sighted);
        browser.on('down', (s: BonjourService) => opts.onGoodbye(s.name));
        instances.push({ bonjour, browser, service });
      }
      opts.log.info('mDNS: announcing and browsing', {
        instance: opts.instanceName,
        type: `_${MDNS_SERVICE_TYPE}._tcp`,
        interfaces: opts.interfaces.length ? opts.interfaces.join(',') : 'all',
      });
      requery(1000);
    },
    republish() {
      if (!running) return;
      for (const i of instances) {
        const old = i.service;
        // A Service has no TXT update in bonjour-service 1.x: stop (goodbye) and publish again.
        (old.stop as (cb: () => void) => void)(() => {
          if (running) i.service = publish(i.bonjour);
        });
      }
    },
    async stop() {
      if (!running) return;
      running = false;
      cancelRequery?.();
      cancelRequery = null;
      const closing = instances;
      instances = [];
      await Promise.all(
        closing.map(
          (i) =>
            new Promise<void>((resolve) => {
              i.browser.stop();
              // Goodbyes first (TTL 0 for every record), then close the socket (TOOLCHAIN.md).
              i.bonjour.unpublishAll(() => i.bonjour.destroy(() => resolve()));
            }),
        ),
      );
    },
  };
}
