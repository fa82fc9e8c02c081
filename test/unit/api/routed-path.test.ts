import { describe, expect, it } from 'vitest';
import { checkRoutedPath } from '../../../api/proxy/routed-path.js';

describe('checkRoutedPath (issue 10 §2)', () => {
  it.each([
    ['/api/chat', '/api/chat'],
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['/api/tags?x=1', '/api/tags?x=1'],
    ['', '/'],
    ['?x=1', '/?x=1'],
    ['/', '/'],
    ['/v1/models/llama3.2:3b', '/v1/models/llama3.2:3b'],
    ['/v1/models/user%2Fmodel', null],
    ['/api/blobs/sha256:abc', '/api/blobs/sha256:abc'],
    ['/api/show?next=//elsewhere', '/api/show?next=//elsewhere'],
    ['/a.b/..c/...', '/a.b/..c/...'],
  ])('%j → %j', (raw, expected) => {
    const r = checkRoutedPath(raw);
    if (expected === null) expect(r.ok).toBe(false);
    else expect(r).toEqual({ ok: true, path: expected });
  });

  it.each([
    ['//10.0.0.1:22/x', /start with \/\//],
    ['//evil.example/x', /start with \/\//],
    ['/http://10.0.0.1/x', /absolute URL/],
    ['/https:/x', /absolute URL/],
    ['http://10.0.0.1/x', /start with \//],
    ['/%2F%2F10.0.0.1/x', /encoded/],
    ['/%2f10.0.0.1', /encoded/],
    ['/%5C%5C10.0.0.1', /encoded/],
    ['/\\\\10.0.0.1/x', /backslash/],
    ['/api\\chat', /backslash/],
    ['/api/../x', /\. or \.\./],
    ['/..', /\. or \.\./],
    ['/./api', /\. or \.\./],
    ['/%2e%2e/x', /\. or \.\./],
    ['/%2E./x', /\. or \.\./],
    ['/api//chat', /empty segment/],
    ['/api chat', /spaces or control/],
    ['/api\tchat', /spaces or control/],
  ])('refuses %j', (raw, reason) => {
    const r = checkRoutedPath(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
