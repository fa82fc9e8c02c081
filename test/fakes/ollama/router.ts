/**
 * Route table and gin's routing behaviour (server/routes.go GenerateRoutes, gin v1.10):
 * global host check first (403, empty body; OPTIONS → 204), unknown path → 404 "404 page not found",
 * known path with another method → 405 "405 method not allowed" + Allow, trailing slash → redirect
 * (PROTOCOLS.md §1.1, §1.2). Routes the fake does not implement answer 501 so a test notices.
 */
import { networkInterfaces, hostname } from 'node:os';
import { isIP } from 'node:net';
import { sendEmpty, sendGinDefault, sendGinError, sendOpenAiError } from './http-io.js';
import type { OllamaExchange } from './http-io.js';
import { handleEmbed, handleEmbeddings } from './native-embed.js';
import { handleNative } from './native-generate.js';
import { handleDelete, handlePs, handleRoot, handleShow, handleTags, handleVersion } from './native-models.js';
import { handleV1Chat, handleV1Embeddings, handleV1Model, handleV1Models } from './openai-routes.js';
import type { OllamaState } from './state.js';
import type { FakeOllamaFault } from './types.js';

type Method = 'HEAD' | 'GET' | 'POST' | 'DELETE';
/** gin's method trees in the order GenerateRoutes first registers each method (Allow header order). */
const TREE_ORDER: Method[] = ['HEAD', 'GET', 'POST', 'DELETE'];
type Handler = (ex: OllamaExchange, st: OllamaState, param: string) => void;

interface Route {
  path: string;
  /** null: a real Ollama route the fake does not implement. */
  methods: Partial<Record<Method, Handler | null>>;
  /** generate/chat/embed style routes: subject to hang 'inference' and unpathed faults. */
  inference?: true;
}

const root: Handler = (ex) => handleRoot(ex);
const tags: Handler = (ex, st) => handleTags(ex, st);
const version: Handler = (ex, st) => handleVersion(ex, st);

const ROUTES: Route[] = [
  { path: '/', methods: { HEAD: root, GET: root } },
  { path: '/api/version', methods: { HEAD: version, GET: version } },
  { path: '/api/status', methods: { GET: null } },
  { path: '/api/pull', methods: { POST: null } },
  { path: '/api/push', methods: { POST: null } },
  { path: '/api/tags', methods: { HEAD: tags, GET: tags } },
  { path: '/api/show', methods: { POST: (ex, st) => handleShow(ex, st) } },
  { path: '/api/delete', methods: { DELETE: (ex, st) => handleDelete(ex, st) } },
  { path: '/api/me', methods: { POST: null } },
  { path: '/api/signout', methods: { POST: null } },
  { path: '/api/user/keys/:encodedKey', methods: { DELETE: null } },
  { path: '/api/create', methods: { POST: null } },
  { path: '/api/blobs/:digest', methods: { POST: null, HEAD: null } },
  { path: '/api/copy', methods: { POST: null } },
  { path: '/api/experimental/web_search', methods: { POST: null } },
  { path: '/api/experimental/web_fetch', methods: { POST: null } },
  { path: '/api/experimental/model-recommendations', methods: { GET: null } },
  { path: '/api/ps', methods: { GET: (ex, st) => handlePs(ex, st) } },
  { path: '/api/generate', methods: { POST: (ex, st) => handleNative('generate', ex, st) }, inference: true },
  { path: '/api/chat', methods: { POST: (ex, st) => handleNative('chat', ex, st) }, inference: true },
  { path: '/api/embed', methods: { POST: (ex, st) => handleEmbed(ex, st) }, inference: true },
  { path: '/api/embeddings', methods: { POST: (ex, st) => handleEmbeddings(ex, st) }, inference: true },
  { path: '/v1/chat/completions', methods: { POST: (ex, st) => handleV1Chat(ex, st) }, inference: true },
  { path: '/v1/completions', methods: { POST: null }, inference: true },
  { path: '/v1/embeddings', methods: { POST: (ex, st) => handleV1Embeddings(ex, st) }, inference: true },
  { path: '/v1/models', methods: { GET: (ex, st) => handleV1Models(ex, st) } },
  { path: '/v1/models/:model', methods: { GET: (ex, st, param) => handleV1Model(ex, st, param) } },
  { path: '/v1/responses', methods: { POST: null }, inference: true },
  { path: '/v1/audio/transcriptions', methods: { POST: null }, inference: true },
  { path: '/v1/messages', methods: { POST: null }, inference: true },
];

/** Paths where a fault without an explicit `path` applies. */
export const INFERENCE_PATHS = new Set(ROUTES.filter((r) => r.inference).map((r) => r.path));

function match(route: Route, path: string): { param: string } | undefined {
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  let param = '';
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (g === '') return undefined;
      param = decodeURIComponent(g);
    } else if (w !== g) return undefined;
  }
  return { param };
}

function findRoute(path: string): { route: Route; param: string } | undefined {
  for (const route of ROUTES) {
    const m = match(route, path);
    if (m !== undefined) return { route, param: m.param };
  }
  return undefined;
}

/** net.SplitHostPort, falling back to the whole value on error (allowedHostsMiddleware). */
function hostOnly(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end > 0 && hostHeader.slice(end + 1).startsWith(':') ? hostHeader.slice(1, end) : hostHeader;
  }
  const colons = hostHeader.split(':').length - 1;
  return colons === 1 ? hostHeader.slice(0, hostHeader.indexOf(':')) : hostHeader;
}

function isLocalOrPrivateIp(ip: string): boolean {
  const v = ip.toLowerCase();
  if (isIP(v) === 4) {
    const [a = 0, b = 0] = v.split('.').map(Number);
    if (a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || v === '0.0.0.0') return true;
  } else if (v === '::1' || v === '::' || v.startsWith('fc') || v.startsWith('fd')) {
    return true;
  }
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address.toLowerCase() === v) ?? false);
}

/** allowedHostsMiddleware + allowedHost for a server bound to loopback. */
export function hostAllowed(hostHeader: string | undefined): boolean {
  const host = hostOnly(hostHeader ?? '').toLowerCase();
  if (isIP(host) !== 0) return isLocalOrPrivateIp(host);
  if (host === '' || host === 'localhost' || host === hostname().toLowerCase()) return true;
  return ['.localhost', '.local', '.internal'].some((tld) => host.endsWith(tld));
}

export interface RouterControl {
  hang(): boolean | 'inference';
  hostCheck(): boolean;
  /** Removes and returns the first queued fault of these kinds that applies to `path`. */
  takeFault(path: string, kinds: FakeOllamaFault['kind'][]): FakeOllamaFault | undefined;
}

export function dispatch(ex: OllamaExchange, st: OllamaState, ctl: RouterControl): void {
  const hang = ctl.hang();
  if (hang === true) return;
  const method = ex.call.method.toUpperCase();
  if (ctl.hostCheck() && !hostAllowed(ex.req.headers.host)) {
    sendEmpty(ex, 403);
    return;
  }
  if (method === 'OPTIONS') {
    sendEmpty(ex, 204);
    return;
  }
  const path = ex.call.path;
  const found = findRoute(path);
  const handler = found?.route.methods[method as Method];
  if (found === undefined || handler === undefined) {
    if (found === undefined && path.endsWith('/') && path !== '/') {
      const target = findRoute(path.slice(0, -1));
      if (target?.route.methods[method as Method] !== undefined) {
        redirect(ex, method, path.slice(0, -1));
        return;
      }
    }
    if (found === undefined) {
      sendGinDefault(ex, 404, '404 page not found');
      return;
    }
    const allowed = TREE_ORDER.filter((m) => found.route.methods[m] !== undefined);
    sendGinDefault(ex, 405, '405 method not allowed', { Allow: allowed.join(', ') });
    return;
  }
  if (hang === 'inference' && found.route.inference) return;
  const fault = ctl.takeFault(path, ['status', 'hang', 'reset']);
  if (fault?.kind === 'hang') return;
  if (fault?.kind === 'reset') {
    ex.req.socket.destroy();
    return;
  }
  if (fault?.kind === 'status') {
    // On /v1 the native handler's c.JSON error goes through BaseWriter.writeError.
    if (path.startsWith('/v1/')) sendOpenAiError(ex, fault.status, fault.message, 'handler');
    else sendGinError(ex, fault.status, fault.message);
    return;
  }
  if (handler === null) {
    sendGinError(ex, 501, `fake-ollama does not implement ${method} ${found.route.path}`);
    return;
  }
  handler(ex, st, found.param);
}

/** gin redirectTrailingSlash → http.Redirect (301 for GET, 307 otherwise; HTML body for GET/HEAD). */
function redirect(ex: OllamaExchange, method: string, location: string): void {
  const status = method === 'GET' ? 301 : 307;
  const body = method === 'GET' || method === 'HEAD' ? `<a href="${location}">${status === 301 ? 'Moved Permanently' : 'Temporary Redirect'}</a>.\n\n` : '';
  const headers: Record<string, string | number> = { Location: location, 'Content-Length': Buffer.byteLength(body) };
  if (body !== '') headers['Content-Type'] = 'text/html; charset=utf-8';
  ex.res.writeHead(status, headers);
  ex.res.end(body);
}
