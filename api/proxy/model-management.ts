/**
 * Which routed Ollama requests manage models rather than run them, and the admin check they pass
 * (issue 11: from the LAN, with no credential, `DELETE /ollama/api/delete` removed a model from the
 * hub's loopback-only Ollama). DESIGN.md §5: model management through `/ollama/` needs the admin
 * credential; `proxy.openModelManagement` opens it to the allowed networks.
 *
 * The endpoints are Ollama's own (docs/api.md; server/routes.go registers them): POST /api/pull,
 * POST /api/push, POST /api/create, POST /api/copy, DELETE /api/delete, HEAD and POST
 * /api/blobs/:digest. They are matched by path whatever the method, so a method Ollama would refuse
 * costs nothing and a future method on them is covered.
 */
import type { KindId } from '../../agent/kernel/kinds.js';
import type { IncomingMessage } from 'node:http';
import type { AdminAuth } from '../admin-auth.js';
import type { AccessPolicy } from './access.js';

const MANAGEMENT_PATHS = ['/api/pull', '/api/push', '/api/create', '/api/copy', '/api/delete', '/api/blobs'];

/**
 * The path as Ollama will route it: dot segments resolved (forward.ts builds the upstream URL with
 * `new URL`, which resolves `..` and `%2e%2e`) and percent-escapes decoded (gin matches the decoded
 * URL.Path, so `/api/%70ull` is `/api/pull` to Ollama). A trailing slash is kept by the prefix
 * match: gin redirects `/api/pull/` to `/api/pull`.
 */
export function isModelManagement(path: string): boolean {
  const q = path.indexOf('?');
  const plain = q === -1 ? path : path.slice(0, q);
  // The usual path has nothing to resolve or decode: it is its own pathname, and parsing it as a
  // URL per request was measurable (issue 14). Anything else takes the full route below.
  if (PLAIN_PATH.test(plain)) return isManagementPath(plain);
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(path, 'http://ollama.invalid/').pathname);
  } catch {
    // An undecodable escape: Ollama would answer 400; treat it as management so it is checked.
    return true;
  }
  return isManagementPath(pathname);
}

/** Slash-separated segments of letters, digits, `_`, `-` and inner dots; no `%`, `\\`, `#`, `//` or dot segment. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+\/?$/;

function isManagementPath(pathname: string): boolean {
  return MANAGEMENT_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

export type ManagementDenied = { ok: false; status: 401 | 403 | 429 | 503; code: string; message: string; headers?: Record<string, string> };

export interface ModelManagementGuardOptions {
  /** `proxy.openModelManagement`. */
  open: boolean;
  access: () => AccessPolicy;
  admin: Pick<AdminAuth, 'bearer'>;
}

/**
 * For the proxy router: null when the request is not model management (the ordinary access check
 * applies), else the verdict. A valid admin token stands in for `proxy.apiKey`: both travel in the
 * Authorization header, and the admin may do anything a keyed client may.
 */
export type ModelManagementGuard = (kind: KindId, req: IncomingMessage, path: string) => { ok: true } | ManagementDenied | null;

export function createModelManagementGuard(opts: ModelManagementGuardOptions): ModelManagementGuard {
  return (kind, req, path) => {
    if (kind !== 'ollama' || opts.open || !isModelManagement(path)) return null;
    const network = opts.access().checkNetwork(req.socket.remoteAddress);
    if (!network.ok) return network;
    return opts.admin.bearer(req.headers.authorization, req.socket.remoteAddress ?? 'unknown');
  };
}
