import { describe, expect, it } from 'vitest';
import { appendHeaders, forwardedHeaders } from '../../../api/proxy/headers.js';

describe('forwardedHeaders (RFC 9110 §7.6.1 on a rawHeaders list)', () => {
  it('drops hop-by-hop fields whatever their case, keeps end-to-end ones with their names as sent', () => {
    const raw = ['Host', 'hub:11434', 'Content-Type', 'application/json', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'TE', 'trailers', 'X-Trace', 'a1'];
    expect(forwardedHeaders(raw)).toEqual(['Content-Type', 'application/json', 'X-Trace', 'a1']);
  });

  it('drops the fields a Connection header names, from any of several Connection lines', () => {
    const raw = ['X-Secret', 's', 'Connection', 'X-Secret, x-other', 'x-OTHER', 'o', 'connection', 'X-Third', 'X-Third', '3', 'Accept', '*/*'];
    expect(forwardedHeaders(raw)).toEqual(['Accept', '*/*']);
  });

  it('drops the fields asked for (given in lower case), in any case', () => {
    expect(forwardedHeaders(['Authorization', 'Bearer x', 'Content-Length', '12', 'Accept', '*/*'], new Set(['authorization', 'content-length']))).toEqual(['Accept', '*/*']);
  });

  it('keeps repeated fields as separate lines, in order', () => {
    expect(forwardedHeaders(['Set-Cookie', 'a=1', 'Vary', 'Accept', 'Set-Cookie', 'b=2'])).toEqual(['Set-Cookie', 'a=1', 'Vary', 'Accept', 'Set-Cookie', 'b=2']);
  });

  it("the agent's own fields replace the upstream's of the same name, and come after the rest", () => {
    const raw = ['X-Inference-Mesh-Node', 'pc', 'Content-Type', 'application/x-ndjson', 'content-length', '99'];
    expect(forwardedHeaders(raw, undefined, [{ 'x-inference-mesh-node': 'hub' }, { 'content-length': 3 }])).toEqual([
      'Content-Type',
      'application/x-ndjson',
      'x-inference-mesh-node',
      'hub',
      'content-length',
      '3',
    ]);
  });
});

describe('appendHeaders', () => {
  it('adds each value of a repeated field as its own line, numbers as text, and skips undefined', () => {
    expect(appendHeaders(['a', '1'], { b: 2, c: ['x', 'y'], d: undefined })).toEqual(['a', '1', 'b', '2', 'c', 'x', 'c', 'y']);
  });
});
