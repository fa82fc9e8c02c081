/**
 * Fake DoctorDeps: nothing here opens a socket. `fetch` answers from a table keyed by URL (any other
 * URL is "connection refused", as undici reports it); LAN addresses are documentation-only values.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { configSchema, type AgentConfigInput } from '../../../agent/config-schema.js';
import type { DoctorConfig, DoctorDeps } from '../../../agent/doctor/types.js';
import { createFakeExec } from '../../fakes/io.js';

/** Half past a whole second: HTTP Date is cut to the second and the check reads it as its middle. */
export const NOW_MS = Date.parse('2026-03-01T12:00:00.500Z');

export function config(input: AgentConfigInput = {}): DoctorConfig {
  return configSchema.parse(input);
}

export type Route = () => Response;

export interface FakeFetch {
  fetch: typeof fetch;
  calls: { url: string; headers: Record<string, string> }[];
}

export function fakeFetch(routes: Record<string, Route>): FakeFetch {
  const calls: FakeFetch['calls'] = [];
  const impl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push({ url, headers: { ...(init?.headers as Record<string, string> | undefined) } });
    const route = routes[url];
    if (route) return Promise.resolve(route());
    const cause = Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' });
    return Promise.reject(new TypeError('fetch failed', { cause }));
  };
  return { fetch: impl, calls };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Route => () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export function iface(address: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal, cidr: `${address}/24` };
}

/** A Linux machine on 192.168.1.20 (a fake address: probes are fakes), nothing running, no programs installed. */
export function fakeDeps(over: Partial<DoctorDeps> = {}): DoctorDeps {
  return {
    fetch: fakeFetch({}).fetch,
    exec: createFakeExec({}),
    readFile: (p) => Promise.reject(Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' })),
    networkInterfaces: () => ({ lo: [iface('127.0.0.1', true)], eth0: [iface('192.168.1.20')] }),
    platform: 'linux',
    nowMs: () => NOW_MS,
    netListenProbe: () => Promise.resolve('free'),
    connectProbe: () => Promise.reject(new Error('connectProbe not expected')),
    env: {},
    ...over,
  };
}

export function files(map: Record<string, string>): DoctorDeps['readFile'] {
  return (p) => {
    const content = map[p];
    return content === undefined ? Promise.reject(Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' })) : Promise.resolve(content);
  };
}
