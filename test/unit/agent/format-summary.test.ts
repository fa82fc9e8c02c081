import { describe, expect, it } from 'vitest';
import { formatNodes } from '../../../agent/cli/format-nodes.js';
import { formatClockWarnings, formatPlacementSummary } from '../../../agent/cli/format-summary.js';
import { elect } from '../../../scheduler/election.js';
import { describePlacement } from '../../../scheduler/placement-view.js';
import { placementPolicySchema } from '../../../agent/kernel/shapes/offer.js';
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

  it('a better node refusing us for its clock: "clock off by +300 s", not a bare "down" (issue 11)', () => {
    const pc = node(gamingPc(), { state: 'down', downSinceMs: WED(22), clockOffsetMs: 300_400 });
    expect(run([node(hub()), pc], WED(23))[0]).toBe('Ollama     → hub (CPU) — gaming-pc: clock off by +300 s');
  });
});

describe('nodes table', () => {
  it('the state column names clock skew instead of "down"', () => {
    const pc = node(gamingPc(), { state: 'down', downSinceMs: WED(22), clockOffsetMs: -299_900 });
    const table = formatNodes([node(hub(), { sources: ['self'] }), pc], WED(23));
    expect(table.split('\n')[2]).toMatch(/^gaming-pc\s+clock off by -300 s\s/);
  });
});

describe('status clock warnings', () => {
  it('one line per peer refusing us for its clock, none for the others', () => {
    const pc = node(gamingPc(), { state: 'down', downSinceMs: WED(22), clockOffsetMs: 300_400 });
    expect(formatClockWarnings([node(hub()), pc])).toEqual(['gaming-pc: clock off by about +300 s — it refuses this agent\'s requests; enable NTP on both machines']);
  });
});
