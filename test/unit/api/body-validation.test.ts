/**
 * Every API body is bounded by its schema (issue 11): host names ≤ 253 characters with labels ≤ 63,
 * URLs ≤ 2048, capped lists. Bad input gets a 400 that names the field.
 */
import { describe, expect, it } from 'vitest';
import { settingsSchema, testConnectionSchema } from '../../../agent/kernel/shapes/settings.js';
import { addPeerSchema, removePeerSchema } from '../../../api/routes/peers.js';
import { pinBody } from '../../../api/routes/placement.js';
import { parseBody } from '../../../api/body.js';
import { BadRequestError } from '../../../agent/kernel/errors.js';
import { hostNameProblem } from '../../../agent/kernel/shapes/http-url.js';

const label = (n: number): string => 'a'.repeat(n);
const json = (body: unknown) => new Request('http://x/', { method: 'POST', body: JSON.stringify(body) });

async function problems(schema: Parameters<typeof parseBody>[1], body: unknown): Promise<string[]> {
  try {
    await parseBody(json(body), schema);
    return [];
  } catch (err) {
    if (err instanceof BadRequestError) return (err.details as string[] | undefined) ?? [err.message];
    throw err;
  }
}

describe('host names in URLs', () => {
  it.each([
    [`http://${label(63)}.lan:7650`, null],
    [`http://${label(64)}.lan:7650`, /label "a{20}…" is 64 characters long; at most 63/],
    [`http://${[label(63), label(63), label(63), label(61)].join('.')}:7650`, null], // 253
    [`http://${[label(63), label(63), label(63), label(62)].join('.')}:7650`, /254 characters long; at most 253/],
    ['http://gaming-pc.lan.:7650', null],
    ['http://a..b:7650', /empty label/],
    ['http://192.168.1.20:7650', null],
    ['http://[fd7a:115c:a1e0::1]:7650', null],
  ])('%s', (url, expected) => {
    const problem = hostNameProblem(url);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('API bodies', () => {
  it('POST /peers: a 300-character host name → 400 naming url; a URL past 2048 characters too', async () => {
    expect((await problems(addPeerSchema, { url: `http://${label(300)}:7650` })).join(' ')).toMatch(/url: the host name is 300 characters long; at most 253/);
    expect((await problems(addPeerSchema, { url: `http://pc.lan:7650/${label(3000)}` })).join(' ')).toMatch(/url: must be at most 2048 characters/);
    expect(await problems(addPeerSchema, { url: 'http://192.168.1.20:7650' })).toEqual([]);
    expect((await problems(removePeerSchema, { name: label(64) })).join(' ')).toMatch(/name/);
  });

  it('settings: service URLs are checked the same way; lists are capped', async () => {
    expect((await problems(settingsSchema, { services: { ollama: { url: `http://${label(70)}:11434` } } })).join(' ')).toMatch(/services\.ollama\.url: .*at most 63/);
    expect((await problems(testConnectionSchema, { kind: 'agent', url: `http://${label(70)}:7650` })).join(' ')).toMatch(/url:/);
    const many = Array.from({ length: 101 }, (_, i) => `game${i}.exe`);
    expect((await problems(settingsSchema, { offer: { notWhile: { processes: many } } })).join(' ')).toMatch(/offer\.notWhile\.processes: at most 100 processes/);
    expect((await problems(settingsSchema, { offer: { windows: Array.from({ length: 101 }, () => ({ from: '22:00', to: '07:00' })) } })).join(' ')).toMatch(/offer\.windows: at most 100 windows/);
    expect((await problems(settingsSchema, { offer: { windows: [{ days: Array.from({ length: 8 }, () => 'mon'), from: '22:00', to: '07:00' }] } })).join(' ')).toMatch(/days: at most the seven days/);
    expect((await problems(settingsSchema, { placement: { ollama: { prefer: Array.from({ length: 101 }, (_, i) => `n${i}`) } } })).join(' ')).toMatch(/placement\.ollama\.prefer: at most 100 nodes/);
    expect((await problems(settingsSchema, { offer: { warmUpModels: [label(300)] } })).join(' ')).toMatch(/offer\.warmUpModels\.0/);
  });

  it('pin: the node name is capped', async () => {
    expect((await problems(pinBody, { node: label(256) })).join(' ')).toMatch(/node/);
  });
});
