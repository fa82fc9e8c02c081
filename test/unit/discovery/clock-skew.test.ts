import { describe, expect, it } from 'vitest';
import { formatClockOffset, peerClockOffsetMs } from '../../../discovery/clock-skew.js';
import { createRequestVerifier, signRequest } from '../../../discovery/peer-auth.js';
import { createPeerRegistry } from '../../../discovery/registry.js';
import { captureLog } from '../../helpers/capture-log.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

describe('clock skew from a peer refusal', () => {
  it('reads the refusal peer-auth.ts writes: a peer 300 s ahead sees our request 300 s late', () => {
    const key = 'a-mesh-key-for-this-test-0123456789';
    const ours = Date.UTC(2026, 0, 1, 12, 0, 0);
    const headers = signRequest({ key, nodeId: 'a'.repeat(32), to: 'b'.repeat(32), dialled: '10.0.0.5:7650', method: 'GET', path: '/api/v1/peer/ping', nowMs: ours });
    const verdict = createRequestVerifier({ key, selfId: () => 'b'.repeat(32), nowMs: () => ours + 300_000 }).verify({
      method: 'GET',
      path: '/api/v1/peer/ping',
      headers: new Headers(headers),
      body: '',
      local: '10.0.0.5:7650',
    });
    expect(verdict.ok).toBe(false);
    const offset = peerClockOffsetMs(`{"error":{"code":"peer_auth_failed","message":"not a member of this mesh: ${verdict.ok ? '' : verdict.reason}"}}`);
    expect(offset).toBe(300_000);
    expect(formatClockOffset(offset ?? 0)).toBe('clock off by +300 s');
  });

  it.each([
    ['clock skew too large (+299.9 s)', -299_900],
    ['clock skew too large (-31.2 s)', 31_200],
    ['bad signature', null],
    ['clock skew too large (lots s)', null],
  ])('%s → %s', (text, expected) => {
    expect(peerClockOffsetMs(text)).toBe(expected);
  });

  it('formats signed whole seconds', () => {
    expect(formatClockOffset(-299_900)).toBe('clock off by -300 s');
    expect(formatClockOffset(12_400)).toBe('clock off by +12 s');
    expect(formatClockOffset(200)).toBe('clock off by ±0 s');
  });
});

describe('registry: clock offset', () => {
  it('a failed check with an offset records it; a successful one clears it', () => {
    const registry = createPeerRegistry({ selfId: 'self', downAfterMs: 3000, log: captureLog().log });
    const url = 'http://192.168.1.20:7650';
    registry.upsertMember({ advert: sampleAdvert({ nodeId: 'pc', name: 'gaming-pc' }), seq: 1, source: 'static', url, nowMs: 0 });
    registry.recordCheck('pc', url, { ok: false, error: 'clock off by +300 s', definitive: true, clockOffsetMs: 300_000 }, 1000);
    expect(registry.get('pc')).toMatchObject({ state: 'down', clockOffsetMs: 300_000 });
    registry.recordCheck('pc', url, { ok: false, error: 'no answer', definitive: false }, 2000);
    expect(registry.get('pc')?.clockOffsetMs).toBeUndefined();
    registry.recordCheck('pc', url, { ok: false, error: 'clock off by +300 s', definitive: true, clockOffsetMs: 300_000 }, 3000);
    registry.recordCheck('pc', url, { ok: true, seq: 1 }, 4000);
    expect(registry.get('pc')?.clockOffsetMs).toBeUndefined();
  });
});
