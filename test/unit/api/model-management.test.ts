import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAdminAuth } from '../../../api/admin-auth.js';
import { DEFAULT_ALLOWED_CIDRS, createAccessPolicy } from '../../../api/proxy/access.js';
import { createModelManagementGuard, isModelManagement } from '../../../api/proxy/model-management.js';

describe('isModelManagement: Ollama paths that change models', () => {
  it.each([
    ['/api/pull', true],
    ['/api/push', true],
    ['/api/create', true],
    ['/api/copy', true],
    ['/api/delete', true],
    ['/api/blobs/sha256:abc', true],
    ['/api/blobs', true],
    ['/api/pull/', true], // gin redirects to /api/pull
    ['/api/pull?insecure=true', true],
    ['/api/%70ull', true], // gin matches the decoded path
    ['/api/%2570ull', false], // decoded once, as gin does: "/api/%70ull" is not a route
    ['/v1/../api/delete', true], // new URL in forward.ts resolves dot segments
    ['/x/%2e%2e/api/create', true],
    ['/api/%zz', true], // undecodable: checked rather than guessed
    ['/api/chat', false],
    ['/api/generate', false],
    ['/api/embed', false],
    ['/api/tags', false],
    ['/api/show', false],
    ['/api/ps', false],
    ['/api/version', false],
    ['/v1/chat/completions', false],
    ['/api/pullx', false],
    ['/', false],
  ])('%s → %s', (path, expected) => {
    expect(isModelManagement(path)).toBe(expected);
  });
});

const TOKEN = 'admin-token-for-this-test-0123456789';
const req = (remoteAddress: string, authorization?: string) =>
  ({ socket: { remoteAddress }, headers: authorization === undefined ? {} : { authorization }, method: 'POST' }) as unknown as IncomingMessage;

function guard(open = false, token: string | null = TOKEN) {
  const access = createAccessPolicy({ allowedCidrs: DEFAULT_ALLOWED_CIDRS, apiKey: 'the-proxy-api-key' });
  return createModelManagementGuard({ open, access: () => access, admin: createAdminAuth({ token: () => token, nowMs: () => 0 }) });
}

describe('model management guard', () => {
  it('inference and Immich ML are left to the ordinary check (null)', () => {
    expect(guard()('ollama', req('192.168.1.5'), '/api/chat')).toBeNull();
    expect(guard()('immich-ml', req('192.168.1.5'), '/api/delete')).toBeNull();
  });

  it('no credential → 401 with WWW-Authenticate; wrong → 403; the admin token → ok (it stands in for proxy.apiKey)', () => {
    const g = guard();
    expect(g('ollama', req('192.168.1.5'), '/api/pull')).toMatchObject({ ok: false, status: 401, code: 'admin_required', headers: { 'www-authenticate': 'Bearer realm="inference-mesh"' } });
    expect(g('ollama', req('192.168.1.5', 'Bearer the-proxy-api-key'), '/api/pull')).toMatchObject({ ok: false, status: 403, code: 'admin_token_wrong' });
    expect(g('ollama', req('192.168.1.5', `Bearer ${TOKEN}`), '/api/pull')).toEqual({ ok: true });
  });

  it('outside the allowed networks even the admin token gets 403 forbidden_network', () => {
    expect(guard()('ollama', req('198.51.100.7', `Bearer ${TOKEN}`), '/api/delete')).toMatchObject({ ok: false, status: 403, code: 'forbidden_network' });
  });

  it('guessing is rate-limited per client (429 with Retry-After)', () => {
    const g = guard();
    for (let i = 0; i < 10; i++) g('ollama', req('192.168.1.9', `Bearer guess-${i}`), '/api/delete');
    expect(g('ollama', req('192.168.1.9', `Bearer ${TOKEN}`), '/api/delete')).toMatchObject({ ok: false, status: 429, headers: { 'retry-after': '60' } });
  });

  it('before the token is loaded → 503', () => {
    expect(guard(false, null)('ollama', req('192.168.1.5', `Bearer ${TOKEN}`), '/api/delete')).toMatchObject({ ok: false, status: 503 });
  });

  it('proxy.openModelManagement: management is left to the ordinary check', () => {
    expect(guard(true)('ollama', req('192.168.1.5'), '/api/delete')).toBeNull();
  });
});
