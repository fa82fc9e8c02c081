import { describe, expect, it } from 'vitest';
import { formatPlacementSummary } from '../../../agent/cli/format-summary.js';
import { elect } from '../../../scheduler/election.js';
import { describePlacement } from '../../../scheduler/placement-view.js';
import { placementPolicySchema } from '../../../scheduler/offer-schema.js';
import { WED, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';

const run = (nodes: ReturnType<typeof node>[], t: number) =>
  formatPlacementSummary(describePlacement(elect({ nodes, policy: placementPolicySchema.parse({}), pins: [], nowMs: t }), 'Europe/London'), nodes);

describe('status summary line', () => {
  it('names the node, its GPU, and the reason', () => {
    expect(run([node(hub()), node(gamingPc())], WED(23))).toEqual([
      'Ollama     → gaming-pc (NVIDIA GeForce RTX 4080) — window open until 07:00',
      'Immich ML  → gaming-pc (NVIDIA GeForce RTX 4080) — window open until 07:00',
    ]);
  });

  it('when a better node is out, says why', () => {
    const gaming = gamingPc({ offerState: { busy: { code: 'game', params: { process: 'cs2.exe' } }, busySinceMs: 0, gpuHotSinceMs: null, coolDownUntilMs: null, lastBusy: null } });
    expect(run([node(hub()), node(gaming)], WED(23))[0]).toBe('Ollama     → hub (CPU) — gaming-pc: game running: cs2.exe');
  });

  it('nowhere: lists every reason', () => {
    expect(run([node(gamingPc())], WED(12))[0]).toBe('Ollama     → nowhere — gaming-pc: outside window mon–fri 22:00–07:00, opens in 10 h');
  });
});
