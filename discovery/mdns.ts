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
 *   crash the process: we listen on it;
 * - the Browser keeps every service it has ever seen (node_modules/bonjour-service/dist/lib/
 *   browser.js: `addService` pushes to `_services`, and `expire()` is never called by the library),
 *   TXT included, and scans that list for every packet. Issue 11: 20,000 distinct names with 8 KB TXT
 *   grew RSS by 135 MB for good and crashed a 128 MB heap. So a sighting the caller does not keep
 *   is removed at once, kept ones expire after ENTRY_TTL_MS (peers answer our requery, which adds
 *   them back), and at most MAX_ENTRIES are kept;
 * - it neither sends nor honours known answers (RFC 6762 §7.1): we do both (known-answers.ts);
 * - it answers every query at once, where RFC 6762 §6 allows one multicast of a record a second:
 *   we pace its answers (response-pacing.ts).
 */
import { Bonjour, type Browser, type Service as BonjourService } from 'bonjour-service';
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';
import { describeError } from '../agent/kernel/errors.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import { knownAnswerQuery, withoutKnownAnswers, type HeldAnswer, type MdnsQuery, type MdnsRecord } from './known-answers.js';
import { createResponsePacer, type ResponsePacer } from './response-pacing.js';
import { MDNS_SERVICE_TYPE } from './txt-record.js';

/** What the browser saw: a raw advert, to be decoded and verified by the caller. */
export interface MdnsSighting {
  instance: string;
  txt: unknown;
  /** Addresses to try, best first: the packet's source, then the advertised IPv4 addresses. */
  addresses: string[];
  port: number;
  /** The sender of the packet (for summarised logging); undefined when unknown. */
  source: string | undefined;
}

/** A home lab has a handful of agents; more than this many live adverts is a flood. */
export const MAX_ENTRIES = 64;
/** Kept adverts are forgotten after this long; the next requery answer brings a live one back. */
export const ENTRY_TTL_MS = 5 * 60_000;

/** The Browser's private fields (bonjour-service 1.x browser.js), to drop entries without a 'down'. */
interface BrowserInternals {
  _services: BonjourService[];
  serviceMap: Record<string, boolean>;
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
  /** Returns whether the advert belongs to the mesh and should be remembered (goodbyes, updates). */
  onSighting: (sighting: MdnsSighting) => boolean;
  onGoodbye: (instance: string) => void;
}

export interface MdnsDiscovery extends Service {
  /** Re-publishes with the current TXT (e.g. after `seq` changed). */
  republish(): void;
  /** Drops an advert (its verification failed), so its next announcement is a new sighting. */
  forget(instance: string): void;
}

interface Instance {
  bonjour: Bonjour;
  browser: Browser;
  service: BonjourService;
  /** bonjour-service's multicast-dns instance, when reachable: queries with known answers go out on it. */
  mdns: MulticastDns | null;
  pacer: ResponsePacer | null;
}

/** The part of multicast-dns (bonjour-service's private `server.mdns`) used here. */
interface MulticastDns {
  query(packet: MdnsQuery): void;
  listeners(event: 'query'): ((query: MdnsQuery, rinfo?: unknown) => void)[];
  removeListener(event: 'query', listener: (query: MdnsQuery, rinfo?: unknown) => void): unknown;
  on(event: 'query', listener: (query: MdnsQuery, rinfo?: unknown) => void): unknown;
}

/** bonjour-service 1.x's Server (lib/mdns-server.js): its socket and the records it answers with. */
interface ServerInternals {
  mdns?: MulticastDns & { on(e: 'error', l: (err: unknown) => void): unknown };
  registry?: Record<string, MdnsRecord[] | undefined>;
}

/** The browsed name, as PTR questions and answers carry it. */
const SERVICE_FQDN = `_${MDNS_SERVICE_TYPE}._tcp.local`;

/**
 * Takes over the responder's one 'query' listener (the Server's respondToQuery): it sees only the
 * questions our own PTR records do not already answer for the asker (RFC 6762 §7.1), and answers
 * them at most once a second (§6, response-pacing.ts). Returns the multicast-dns instance, or null
 * when bonjour-service's internals are not as expected (then it answers every query, as before),
 * and the pacer, to stop with the instance.
 */
function takeOverResponder(bonjour: Bonjour, clock: Clock): { mdns: MulticastDns | null; pacer: ResponsePacer | null } {
  const server = (bonjour as unknown as { server?: ServerInternals }).server;
  const mdns = server?.mdns;
  if (!mdns || typeof mdns.query !== 'function' || typeof mdns.listeners !== 'function') return { mdns: null, pacer: null };
  const responders = mdns.listeners('query');
  const respond = responders[0];
  if (responders.length !== 1 || !respond) return { mdns, pacer: null };
  mdns.removeListener('query', respond);
  const pacer = createResponsePacer({
    clock,
    records: () => Object.values(server.registry ?? {}).flatMap((records) => records ?? []),
    respond: (query) => respond(query),
  });
  mdns.on('query', (query) => {
    const rest = withoutKnownAnswers(query, server.registry?.PTR ?? []);
    if (rest.questions.length > 0) pacer.offer(rest);
  });
  return { mdns, pacer };
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

  /** When each kept advert was last sighted, by our clock. */
  const sightedAtMs = new WeakMap<BonjourService, number>();

  const forget = (browser: Browser, drop: (s: BonjourService) => boolean): void => {
    const b = browser as unknown as BrowserInternals;
    if (!Array.isArray(b._services)) return;
    const kept: BonjourService[] = [];
    for (const s of b._services) {
      if (drop(s)) delete b.serviceMap[s.fqdn];
      else kept.push(s);
    }
    b._services = kept;
  };

  const sighted = (browser: Browser, service: BonjourService): void => {
    let keep = false;
    const source = typeof service.referer?.address === 'string' ? service.referer.address : undefined;
    try {
      const addresses = [source, ...(service.addresses ?? [])].filter((a): a is string => typeof a === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(a));
      keep = opts.onSighting({ instance: String(service.name), txt: service.txt as unknown, addresses: [...new Set(addresses)], port: service.port, source });
    } catch (err) {
      // Not logged per advert: onSighting summarises what it ignores, and this is a bug of ours.
      opts.log.once('mdns-sighting-failed', 'warn', 'could not handle an mDNS advert', { instance: String(service.name).slice(0, 100), error: describeError(err) });
    }
    if (!keep) {
      forget(browser, (s) => s === service);
      return;
    }
    sightedAtMs.set(service, opts.clock.nowMs());
    const list = (browser as unknown as BrowserInternals)._services;
    if (Array.isArray(list) && list.length > MAX_ENTRIES) {
      // The oldest sightings go first (the list is in order of first sighting).
      const excess = new Set(list.slice(0, list.length - MAX_ENTRIES));
      forget(browser, (s) => excess.has(s));
    }
  };

  const expire = (browser: Browser): void => {
    const now = opts.clock.nowMs();
    forget(browser, (s) => now - (sightedAtMs.get(s) ?? 0) > ENTRY_TTL_MS);
  };

  /** The adverts this browser holds, as known answers for its next query (RFC 6762 §7.1). */
  const held = (browser: Browser): HeldAnswer[] => {
    const list = (browser as unknown as BrowserInternals)._services;
    if (!Array.isArray(list)) return [];
    return list.flatMap((s) => {
      const atMs = sightedAtMs.get(s);
      return typeof s.fqdn === 'string' && typeof s.ttl === 'number' && atMs !== undefined ? [{ fqdn: s.fqdn, ttlSec: s.ttl, lastSeenMs: atMs }] : [];
    });
  };

  // RFC 6762 §5.2 continuous querying: 1 s, 2 s, 4 s, … up to the cap. Machines that boot together
  // miss each other's first announcements; these early queries find them within seconds (issue 17).
  // Each lists the adverts already held, so only peers not yet known answer (§7.1).
  const requery = (delayMs: number): void => {
    if (!running) return;
    cancelRequery = opts.clock.setTimeout(() => {
      for (const i of instances) {
        expire(i.browser);
        if (i.mdns) i.mdns.query(knownAnswerQuery(SERVICE_FQDN, held(i.browser), opts.clock.nowMs()));
        else i.browser.update();
      }
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
        (bonjour as unknown as { server?: ServerInternals }).server?.mdns?.on('error', onSocketError);
        const { mdns, pacer } = takeOverResponder(bonjour, opts.clock);
        const service = publish(bonjour);
        const browser = bonjour.find({ type: MDNS_SERVICE_TYPE });
        const onService = (service: BonjourService): void => sighted(browser, service);
        browser.on('up', onService);
        browser.on('txt-update', onService);
        browser.on('srv-update', onService);
        browser.on('down', (s: BonjourService) => opts.onGoodbye(s.name));
        instances.push({ bonjour, browser, service, mdns, pacer });
      }
      opts.log.info('mDNS: announcing and browsing', {
        instance: opts.instanceName,
        type: `_${MDNS_SERVICE_TYPE}._tcp`,
        interfaces: opts.interfaces.length ? opts.interfaces.join(',') : 'all',
      });
      requery(1000);
    },
    forget(instance) {
      for (const i of instances) forget(i.browser, (s) => s.name === instance);
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
              i.pacer?.stop();
              i.browser.stop();
              // Goodbyes first (TTL 0 for every record), then close the socket (TOOLCHAIN.md).
              i.bonjour.unpublishAll(() => i.bonjour.destroy(() => resolve()));
            }),
        ),
      );
    },
  };
}
