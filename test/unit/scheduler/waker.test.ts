/**
 * Wake-on-LAN on window openings, over a real peer registry and a FakeClock.
 *
 * SAFETY (DESIGN.md §7): `send` is always a recording stand-in, so no packet is sent at all; the
 * configured address is loopback anyway, so even a regression that bypassed the stand-in could only
 * reach 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/kernel/log.js';
import type { NodeAdvert } from '../../../discovery/advert.js';
import { createPeerRegistry, type PeerRegistry } from '../../../discovery/registry.js';
import type { NodeRecord } from '../../../discovery/types.js';
import { createElector, type Elector } from '../../../scheduler/elector.js';
import { offerSchema } from '../../../agent/kernel/shapes/offer.js';
import type { SendMagicPacketOptions, sendMagicPacket } from '../../../agent/adapters/wake-on-lan.js';
import { createWaker, type Waker } from '../../../scheduler/waker.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { GAMING_PC, HUB, WED, gamingPc, hub, node } from '../../helpers/mesh-fixtures.js';
import { DEFAULT_POLICY, createFakeElector, memoryHistory, placementAt, type FakeElector, type MemoryHistory } from '../../helpers/scheduler-fakes.js';

const WOL_ADDRESS = '127.0.0.1';
const WOL_PORT = 40_009;
const WAIT_UP_MS = 120_000;
const MACS = ['aa:bb:cc:dd:ee:01', 'aa:bb:cc:dd:ee:02'];
const PC_URL = 'http://127.0.0.2:7650';

/** A sleeping node as restored from state.json: down, with the MACs of its last advert. */
function sleeping(advert: NodeAdvert, macs: string[] = MACS): NodeRecord {
  return node(advert, {
    state: 'down',
    macs,
    lastSeenMs: WED(14),
    downSinceMs: WED(14),
    activeUrl: null,
    sources: ['mdns'],
    paths: [{ source: 'mdns', url: PC_URL, ok: false, lastOkMs: WED(14), lastError: 'connection refused' }],
  });
}

interface Harness {
  clock: FakeClock;
  registry: PeerRegistry;
  history: MemoryHistory;
  sent: SendMagicPacketOptions[];
  waker: Waker;
}

const services: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

function setup(opts: { nowMs: number; peers: NodeRecord[]; elector?: (registry: PeerRegistry, clock: FakeClock) => Elector; send?: typeof sendMagicPacket }): Harness & { elector: Elector } {
  const clock = new FakeClock(opts.nowMs);
  const registry = createPeerRegistry({ selfId: HUB, downAfterMs: 60_000, log: silentLogger });
  registry.setSelf(hub(), 1, 'http://127.0.0.1:7650', clock.nowMs());
  registry.restore(opts.peers);
  const history = memoryHistory(clock.nowMs);
  const sent: SendMagicPacketOptions[] = [];
  const recordingSend: typeof sendMagicPacket = async (o) => {
    sent.push(o);
  };
  const elector = opts.elector?.(registry, clock) ?? createFakeElector(placementAt(registry.snapshot(), clock.nowMs()));
  const waker = createWaker({
    elector,
    registry,
    history,
    clock,
    log: silentLogger,
    broadcastAddress: WOL_ADDRESS,
    port: WOL_PORT,
    waitUpMs: WAIT_UP_MS,
    send: opts.send ?? recordingSend,
  });
  services.push(waker, elector);
  return { clock, registry, history, sent, waker, elector };
}

/** Moves the fake clock to `atMs` and has the fake elector announce an election made then. */
async function electAt(h: Harness & { elector: Elector }, atMs: number): Promise<void> {
  await h.clock.advance(atMs - h.clock.nowMs());
  (h.elector as FakeElector).emit(placementAt(h.registry.snapshot(), atMs));
  await h.clock.advance(0);
}

const start = (s: { start(signal: AbortSignal): Promise<void> }): Promise<void> => s.start(new AbortController().signal);
const wakeEntries = (h: Harness) => h.history.entries.filter((e) => e.action === 'wake');

describe('waker', () => {
  it('sends one packet per MAC to the configured address and port when a down node’s window opens between two elections', async () => {
    const h = setup({ nowMs: WED(21, 59), peers: [sleeping(gamingPc())] });
    await start(h.waker);

    await electAt(h, WED(22, 0));

    expect(h.sent).toEqual([
      { mac: MACS[0], address: WOL_ADDRESS, port: WOL_PORT },
      { mac: MACS[1], address: WOL_ADDRESS, port: WOL_PORT },
    ]);
    expect(wakeEntries(h)).toEqual([
      {
        atMs: WED(22),
        type: 'action',
        kind: null,
        action: 'wake',
        nodeId: GAMING_PC,
        nodeName: 'gaming-pc',
        status: 'ok',
        message: `sent Wake-on-LAN to gaming-pc (${MACS.join(', ')}) via 127.0.0.1:40009: its window opened`,
      },
    ]);
    expect([...h.waker.waking()]).toEqual([GAMING_PC]);
    expect(h.clock.pendingTimers()).toBe(2); // the give-up timer and the next window change (07:00)
  });

  it('gives up visibly when the node is still not up after waitUpMs', async () => {
    const h = setup({ nowMs: WED(21, 59), peers: [sleeping(gamingPc())] });
    await start(h.waker);
    await electAt(h, WED(22, 0));

    await h.clock.advance(WAIT_UP_MS - 1);
    expect(wakeEntries(h).map((e) => e.status)).toEqual(['ok']);
    expect(h.waker.waking().has(GAMING_PC)).toBe(true);

    await h.clock.advance(1);
    expect(wakeEntries(h).map((e) => e.status)).toEqual(['ok', 'gave-up']);
    expect(wakeEntries(h)[1]).toMatchObject({
      atMs: WED(22) + WAIT_UP_MS,
      nodeId: GAMING_PC,
      nodeName: 'gaming-pc',
      message: 'gaming-pc did not come up within 120 s after Wake-on-LAN; check its BIOS and OS wake settings',
    });
    expect(h.waker.waking().size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(1); // only the next window change is armed
    expect(h.sent).toHaveLength(2); // no second round of packets
  });

  it('records "is up after Wake-on-LAN" when the node answers in time, and never gives up', async () => {
    const h = setup({ nowMs: WED(21, 59), peers: [sleeping(gamingPc())] });
    await start(h.waker);
    await electAt(h, WED(22, 0));

    await h.clock.advance(45_000);
    // Its agent answers: the registry moves it down → up.
    h.registry.upsertMember({ advert: gamingPc(), seq: 2, source: 'mdns', url: PC_URL, nowMs: h.clock.nowMs() });
    expect(h.registry.get(GAMING_PC)?.state).toBe('up');

    expect(wakeEntries(h).map((e) => [e.status, e.message])).toEqual([
      ['ok', `sent Wake-on-LAN to gaming-pc (${MACS.join(', ')}) via 127.0.0.1:40009: its window opened`],
      ['ok', 'gaming-pc is up after Wake-on-LAN'],
    ]);
    expect(wakeEntries(h)[1]?.atMs).toBe(WED(22) + 45_000);
    expect(h.waker.waking().size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);

    await h.clock.advance(WAIT_UP_MS * 2);
    expect(wakeEntries(h).some((e) => e.status === 'gave-up')).toBe(false);
  });

  it('does not wake when the window was already open at the previous election, nor when it is closed', async () => {
    const h = setup({ nowMs: WED(22, 30), peers: [sleeping(gamingPc())] });
    await start(h.waker);
    await electAt(h, WED(23, 0)); // open → open
    await electAt(h, WED(23, 0) + 9 * 3_600_000); // Thu 08:00: open → closed
    await electAt(h, WED(23, 0) + 10 * 3_600_000); // closed → closed
    expect(h.sent).toEqual([]);
    expect(wakeEntries(h)).toEqual([]);
  });

  it('never wakes a node without MACs or without windows', async () => {
    const noMacs = sleeping(gamingPc(), []);
    const alwaysOffered = sleeping(
      gamingPc({ nodeId: '4'.repeat(32), name: 'nas', offer: offerSchema.parse({ timeZone: 'Europe/London' }) }),
      ['aa:bb:cc:dd:ee:44'],
    );
    const h = setup({ nowMs: WED(21, 59), peers: [noMacs, alwaysOffered] });
    await start(h.waker);

    await electAt(h, WED(22, 0));
    await h.waker.wake(GAMING_PC, 'batch work is waiting');

    expect(h.sent).toEqual([]);
    expect(wakeEntries(h)).toEqual([]);
    expect(h.waker.waking().size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('records a failed send as "failed" and waits for nothing', async () => {
    const send: typeof sendMagicPacket = async () => {
      throw new Error('send EACCES 127.0.0.1:40009');
    };
    const h = setup({ nowMs: WED(21, 59), peers: [sleeping(gamingPc())], send });
    await start(h.waker);

    await electAt(h, WED(22, 0));

    expect(wakeEntries(h)).toEqual([
      expect.objectContaining({ status: 'failed', nodeId: GAMING_PC, nodeName: 'gaming-pc', message: 'could not send Wake-on-LAN to gaming-pc: send EACCES 127.0.0.1:40009' }),
    ]);
    expect(h.waker.waking().size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(1); // no give-up timer: only the next window change
  });

  it('wake(nodeId) sends once for a down node (a second call while waiting is a no-op) and never for an up one', async () => {
    const h = setup({ nowMs: WED(12, 0), peers: [sleeping(gamingPc())] });
    await start(h.waker);

    await h.waker.wake(HUB, 'batch work is waiting');
    expect(h.sent).toEqual([]);

    await h.waker.wake(GAMING_PC, 'batch work is waiting');
    await h.waker.wake(GAMING_PC, 'batch work is waiting');
    expect(h.sent.map((s) => s.mac)).toEqual(MACS);
    expect(wakeEntries(h).map((e) => e.message)).toEqual([`sent Wake-on-LAN to gaming-pc (${MACS.join(', ')}) via 127.0.0.1:40009: batch work is waiting`]);
    expect(h.clock.pendingTimers()).toBe(2); // the give-up timer and the next window opening
  });

  it('stop() cancels the wait, unsubscribes, and wakes nothing afterwards', async () => {
    const h = setup({ nowMs: WED(21, 59), peers: [sleeping(gamingPc())] });
    await start(h.waker);
    await electAt(h, WED(22, 0));
    expect(h.clock.pendingTimers()).toBe(2); // the give-up timer and the next window change

    await h.waker.stop();
    await h.waker.stop(); // idempotent

    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.waker.waking().size).toBe(0);
    expect((h.elector as FakeElector).listenerCount()).toBe(0);
    await h.clock.advance(WAIT_UP_MS * 2);
    h.registry.upsertMember({ advert: gamingPc(), seq: 2, source: 'mdns', url: PC_URL, nowMs: h.clock.nowMs() });
    await h.waker.wake(GAMING_PC, 'after stop');
    expect(wakeEntries(h).map((e) => e.status)).toEqual(['ok']);
    expect(h.sent).toHaveLength(2);
  });

  it('stop() while a packet is being sent leaves no timer and records nothing later', async () => {
    let sendDone: () => void = () => undefined;
    const send: typeof sendMagicPacket = () =>
      new Promise<void>((resolve) => {
        sendDone = resolve;
      });
    const h = setup({ nowMs: WED(21, 59), peers: [sleeping(gamingPc(), [MACS[0] as string])], send });
    await start(h.waker);
    await electAt(h, WED(22, 0)); // the send is now in flight

    await h.waker.stop();
    sendDone();
    await h.clock.advance(0);

    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.waker.waking().size).toBe(0);
    await h.clock.advance(WAIT_UP_MS);
    expect(wakeEntries(h).some((e) => e.status === 'gave-up')).toBe(false);
  });

  it('with the real elector, a sleeping gaming PC is woken when its window opens at 22:00', async () => {
    // Hub (always offered) + the gaming PC asleep since 14:00. Nothing but the clock moves.
    const h = setup({
      nowMs: WED(21, 0),
      peers: [sleeping(gamingPc())],
      elector: (registry, clock) => createElector({ registry, policy: () => DEFAULT_POLICY, pins: () => [], clock, log: silentLogger, displayZone: 'Europe/London' }),
    });
    await start(h.elector);
    await start(h.waker);

    await h.clock.advance(WED(22, 1) - h.clock.nowMs());

    expect(h.sent.map((s) => s.mac)).toEqual(MACS);
    expect(wakeEntries(h).map((e) => e.status)).toEqual(['ok']);
  });
});
