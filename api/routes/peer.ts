/**
 * The peer protocol, served to other agents of the mesh: `GET /api/v1/peer/ping` (liveness and the
 * advert's change counter) and `GET /api/v1/peer/advert`. Requests must be signed with the mesh key,
 * addressed to this node (or, on a first contact, to any node) and dialled at the address they
 * arrive on; answers are signed back over that address (discovery/peer-auth.ts). An agent of another
 * mesh gets 401, a request meant for another address or node 421; both are logged once.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { AgentError } from '../../agent/kernel/errors.js';
import type { Logger } from '../../agent/kernel/log.js';
import type { NodeAdvert } from '../../discovery/advert.js';
import { socketLocal } from '../../discovery/peer-address.js';
import { AUTH_HEADERS, header as requestHeader, signResponse, type RequestVerifier, type VerifiableRequest } from '../../discovery/peer-auth.js';
import type { PeerSighting } from '../../discovery/discovery.js';
import { HINT_HEADERS } from '../../discovery/peer-client.js';
import { settingsSchema, type Settings } from '../../agent/kernel/shapes/settings.js';
import type { SettingsView } from '../../agent/kernel/shapes/settings.js';

export interface PeerRouteDeps {
  /** The mesh key, once loaded (null before start: peers are then refused). */
  key: () => string | null;
  nowMs: () => number;
  log: Logger;
  nodeId: () => string;
  /** The advert's change counter. */
  seq: () => number;
  /** True once this agent has begun to stop: peers then mark it down at once. */
  leaving: () => boolean;
  advert: () => NodeAdvert;
  /** The verifier of signed peer requests: one per agent, shared with the relay (one replay cache). */
  verifier: () => RequestVerifier | null;
  /** A member's verified request: a sign of life, or a sighting (discovery, issue 17). */
  sighted?: (s: PeerSighting) => void;
  /** This node's settings, for members (issue 16); `acceptRemote` is mesh.acceptRemoteSettings. */
  settings: { view: () => SettingsView; save: (change: Settings) => Promise<SettingsView>; acceptRemote: () => boolean };
}

type Vars = { Variables: { nonce: string; key: string; local: string; body: string } };

/** The local end of the request's connection (@hono/node-server passes the IncomingMessage as env). */
export function localAddressOf(env: unknown): string {
  return socketLocal((env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket);
}

/** What a verified request tells of its sender: where it is, its port and advert counter (hints). */
export function sightingOf(nodeId: string, incoming: IncomingMessage | undefined, header: (name: string) => string | undefined): PeerSighting {
  const num = (v: string | undefined): number | null => (v !== undefined && /^[0-9]{1,15}$/.test(v) ? Number(v) : null);
  const port = num(header(HINT_HEADERS.port));
  return {
    nodeId,
    address: incoming?.socket.remoteAddress ?? '',
    port: port !== null && port >= 1 && port <= 65535 ? port : null,
    seq: num(header(HINT_HEADERS.seq)),
    ...(incoming ? { connection: incoming.socket } : {}),
  };
}

/** The paths of the health check and of the advert, served before Hono (peerRawListener). */
export const PEER_PING_PATH = '/api/v1/peer/ping';
export const PEER_ADVERT_PATH = '/api/v1/peer/advert';

type PeerCheck =
  | { ok: true; result: { nodeId: string; nonce: string }; key: string; local: string }
  | { ok: false; status: 401 | 421 | 503; payload: { error: { code: string; message: string } } };

/**
 * The check every peer request passes: the agent has started, and the request is signed with the
 * mesh key, addressed here (a first contact may only read the ping and the advert) and dialled at
 * the address it arrived on. A refusal is logged once per code and sender.
 */
function checkPeerRequest(deps: PeerRouteDeps, req: { method: string; path: string; headers: VerifiableRequest['headers']; body: string; local: string }): PeerCheck {
  const key = deps.key();
  const verifier = deps.verifier();
  if (key === null || verifier === null) return { ok: false, status: 503, payload: { error: { code: 'not_started', message: 'the agent is starting' } } };
  const pathname = req.path.split('?')[0] ?? req.path;
  const firstContactOk = req.method === 'GET' && (pathname.endsWith('/peer/ping') || pathname.endsWith('/peer/advert'));
  const result = verifier.verify(req, { anyRecipient: firstContactOk });
  if (result.ok) return { ok: true, result, key, local: req.local };
  const node = requestHeader(req.headers, AUTH_HEADERS.node);
  deps.log.once(`peer-auth:${result.code}:${node ?? '?'}`, 'warn', 'refused a peer request', { reason: result.reason, node });
  if (result.code === 'misdirected') return { ok: false, status: 421, payload: { error: { code: 'peer_misdirected', message: `misdirected: ${result.reason}` } } };
  return { ok: false, status: 401, payload: { error: { code: result.code === 'skew' ? 'peer_clock_skew' : 'peer_auth_failed', message: `not a member of this mesh: ${result.reason}` } } };
}

/** What a ping answers: who this is, its advert's change counter, and whether it is stopping. */
const pingAnswer = (deps: PeerRouteDeps) => ({ nodeId: deps.nodeId(), seq: deps.seq(), leaving: deps.leaving() });
const advertAnswer = (deps: PeerRouteDeps) => ({ seq: deps.seq(), advert: deps.advert() });

/**
 * `GET /api/v1/peer/ping` and `GET /api/v1/peer/advert` on raw node:http, before Hono: every member
 * checks every other, so the ping is the request an idle mesh serves most, and Hono's Request and
 * Response objects were most of its cost (issue 17). The advert is what a forming mesh serves most:
 * every member fetches every other's, again at each change of its member list; through Hono each
 * one cost a Request, a Response and their headers, and the first one loaded Node's fetch
 * implementation (undici, ~25 ms of CPU) into an agent that otherwise never needs it (issue 17, 20
 * agents starting together). Same checks and answers as the other peer routes. Returns false for
 * any other request.
 */
export function peerRawListener(deps: PeerRouteDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const answers = new Map<string, () => unknown>([
    [PEER_PING_PATH, () => pingAnswer(deps)],
    [PEER_ADVERT_PATH, () => advertAnswer(deps)],
  ]);
  return (req, res) => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const answer = req.method === 'GET' ? answers.get(query < 0 ? url : url.slice(0, query)) : undefined;
    if (answer === undefined) return false;
    const local = socketLocal(req.socket);
    const checked = checkPeerRequest(deps, { method: 'GET', path: url, headers: req.headers, body: '', local });
    const send = (status: number, body: string, headers: OutgoingHttpHeaders = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    req.resume(); // a GET has no body; anything sent along is not read
    if (!checked.ok) {
      send(checked.status, JSON.stringify(checked.payload));
      return true;
    }
    deps.sighted?.(sightingOf(checked.result.nodeId, req, (name) => requestHeader(req.headers, name)));
    let body: string;
    try {
      body = JSON.stringify(answer());
    } catch (err) {
      // The advert before the agent has started (AgentError not_started, 503), answered as Hono's
      // error handler would; a throw from here would end the process.
      const e = err instanceof AgentError ? err : new AgentError('internal', 'internal error');
      send(e.httpStatus, JSON.stringify({ error: { code: e.code, message: e.message } }));
      return true;
    }
    const responderId = deps.nodeId();
    const signature = signResponse({ key: checked.key, requestNonce: checked.result.nonce, responderId, addr: local, status: 200, body });
    send(200, body, { [AUTH_HEADERS.node]: responderId, [AUTH_HEADERS.addr]: local, [AUTH_HEADERS.signature]: signature });
    return true;
  };
}

export function peerRoutes(deps: PeerRouteDeps): Hono<Vars> {
  const app = new Hono<Vars>();

  app.use('/peer/*', async (c, next) => {
    const url = new URL(c.req.url);
    // The body is part of the signature; /api/v1 bodies are already capped (issue 11).
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text();
    const checked = checkPeerRequest(deps, { method: c.req.method, path: url.pathname + url.search, headers: c.req.raw.headers, body, local: localAddressOf(c.env) });
    if (!checked.ok) return c.json(checked.payload, checked.status);
    const { result, key, local } = checked;
    deps.sighted?.(sightingOf(result.nodeId, (c.env as { incoming?: IncomingMessage } | undefined)?.incoming, (name) => c.req.header(name)));
    c.set('nonce', result.nonce);
    c.set('key', key);
    c.set('local', local);
    c.set('body', body);
    await next();
  });

  const signed = (c: Context<Vars>, status: 200 | 400 | 403 | 503, payload: unknown): Response => {
    const body = JSON.stringify(payload);
    const responderId = deps.nodeId();
    const addr = c.get('local');
    const signature = signResponse({ key: c.get('key'), requestNonce: c.get('nonce'), responderId, addr, status, body });
    return c.body(body, status, { 'content-type': 'application/json', [AUTH_HEADERS.node]: responderId, [AUTH_HEADERS.addr]: addr, [AUTH_HEADERS.signature]: signature });
  };

  // Served by peerRawListener before Hono; kept here for in-process requests (app.request in tests).
  app.get('/peer/ping', (c) => signed(c, 200, pingAnswer(deps)));
  app.get('/peer/advert', (c) => signed(c, 200, advertAnswer(deps)));

  // Issue 16: one place to set up the mesh. A member's signed change of this node's settings is
  // applied and kept exactly as one made on this node's own Setup page, unless the owner refused
  // remote settings (mesh.acceptRemoteSettings).
  app.get('/peer/settings', (c) => signed(c, 200, deps.settings.view()));
  app.put('/peer/settings', async (c) => {
    if (!deps.settings.acceptRemote()) {
      return signed(c, 403, { error: { code: 'remote_settings_refused', message: `${deps.advert().name} does not accept settings from other machines (its mesh.acceptRemoteSettings is false); change them on that machine` } });
    }
    let json: unknown;
    try {
      json = JSON.parse(c.get('body'));
    } catch {
      return signed(c, 400, { error: { code: 'bad_request', message: 'the body is not JSON' } });
    }
    const parsed = settingsSchema.safeParse(json);
    if (!parsed.success) {
      return signed(c, 400, { error: { code: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') } });
    }
    deps.log.info('settings changed by another machine of the mesh', { by: c.req.header(AUTH_HEADERS.node)?.slice(0, 8), keys: Object.keys(parsed.data).join(',') });
    return signed(c, 200, await deps.settings.save(parsed.data));
  });
  return app;
}
