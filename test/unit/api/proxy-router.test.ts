/**
 * The proxy router's gate, in process with a foreign socket address (a real one needs a namespace:
 * test/netns/hostile.test.ts): outside the allowed networks → 403 in each kind's error shape,
 * model management → the guard's status and headers, and the connection is not kept open for
 * the rest of a refused body.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAdminAuth } from '../../../api/admin-auth.js';
import { createAccessPolicy } from '../../../api/proxy/access.js';
import { createModelManagementGuard } from '../../../api/proxy/model-management.js';
import { createProxyRouter } from '../../../api/proxy/router.js';
import { captureLog } from '../../helpers/capture-log.js';

interface Written {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

function call(url: string, remoteAddress: string, headers: Record<string, string> = {}): { written: Written; forwarded: string[] } {
  const access = createAccessPolicy({ allowedCidrs: ['10.0.0.0/8'], apiKey: null });
  const forwarded: string[] = [];
  const router = createProxyRouter({
    access: () => access,
    manage: createModelManagementGuard({ open: false, access: () => access, admin: createAdminAuth({ token: () => 'the-admin-token', nowMs: () => 0 }) }),
    handlers: {
      ollama: async (_req, _res, path) => void forwarded.push(`ollama ${path}`),
      'immich-ml': async (_req, _res, path) => void forwarded.push(`immich ${path}`),
      whisper: async (_req, _res, path) => void forwarded.push(`whisper ${path}`),
    },
    relay: async (_req, _res, kind, path) => void forwarded.push(`relay ${kind} ${path}`),
    log: captureLog().log,
  });
  const written: Written = { status: 0, headers: {}, body: '' };
  const res = {
    writeHead(status: number, h: OutgoingHttpHeaders) {
      written.status = status;
      written.headers = h;
    },
    end(body: string) {
      written.body = body;
    },
  } as unknown as ServerResponse;
  const req = { url, method: 'POST', headers, socket: { remoteAddress }, resume: () => undefined } as unknown as IncomingMessage;
  expect(router.handle(req, res)).toBe(true);
  return { written, forwarded };
}

describe('proxy router gate', () => {
  it('outside the allowed networks → 403 in Ollama\'s and Immich\'s shapes, connection closed', () => {
    const o = call('/ollama/api/chat', '198.51.100.7');
    expect(o.written.status).toBe(403);
    expect(JSON.parse(o.written.body)).toEqual({ error: "198.51.100.7 is not in the allowed networks (proxy.allowedCidrs); add it to the agent's configuration to let this client in" });
    expect(o.written.headers.connection).toBe('close');
    expect(o.forwarded).toEqual([]);
    const i = call('/immich-ml/predict', '::ffff:198.51.100.7');
    expect(i.written.status).toBe(403);
    expect(JSON.parse(i.written.body)).toHaveProperty('detail');
  });

  it('inside: inference is forwarded without a credential; model management answers 401 with WWW-Authenticate', () => {
    expect(call('/ollama/api/chat', '10.1.2.3').forwarded).toEqual(['ollama /api/chat']);
    const del = call('/ollama/api/delete', '10.1.2.3');
    expect(del.written.status).toBe(401);
    expect(del.written.headers['www-authenticate']).toBe('Bearer realm="inference-mesh"');
    expect(del.forwarded).toEqual([]);
    expect(call('/ollama/api/delete', '10.1.2.3', { authorization: 'Bearer the-admin-token' }).forwarded).toEqual(['ollama /api/delete']);
  });
});
