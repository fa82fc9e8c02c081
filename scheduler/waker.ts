/**
 * Wake-on-LAN (issue 4 §5): when a window opens on a node that is down and whose MAC we know (from
 * its last advert, kept across restarts), send it a magic packet, then wait for it to come up and
 * give up visibly after `waitUpMs`. Packets go to the configured broadcast address and port.
 */
import type { CancelTimer, Clock } from '../agent/kernel/clock.js';
import { describeError } from '../agent/kernel/errors.js';
import type { Unsubscribe } from '../agent/kernel/events.js';
import type { History } from './history-schema.js';
import type { Service } from '../agent/kernel/lifecycle.js';
import type { Logger } from '../agent/kernel/log.js';
import type { PeerRegistry } from '../discovery/registry.js';
import type { NodeRecord } from '../discovery/types.js';
import type { Placement } from './placement-view.js';
import type { Elector } from './elector.js';
import { windowState } from './windows.js';

export interface WakerOptions {
  elector: Elector;
  registry: PeerRegistry;
  history: History;
  clock: Clock;
  log: Logger;
  broadcastAddress: string;
  port: number;
  waitUpMs: number;
  /** Sends one magic packet (agent/adapters/wake-on-lan.ts). */
  send: (opts: { mac: string; address: string; port: number }, signal?: AbortSignal) => Promise<void>;
}

export interface Waker extends Service {
  /** Nodes a packet was sent to and that are not up yet (interactive requests never wait for these). */
  waking(): ReadonlySet<string>;
  /** Wakes a node now (batch work waiting for it); resolves once the packet is sent. */
  wake(nodeId: string, why: string): Promise<void>;
}

function windowAt(node: NodeRecord, atMs: number): { open: boolean; changesAtMs: number | null } | null {
  const offer = node.advert?.offer;
  if (!offer?.windows || offer.windows.length === 0) return null;
  return windowState(offer.windows, offer.timeZone ?? 'UTC', atMs);
}

export function createWaker(opts: WakerOptions): Waker {
  const send = opts.send;
  const pending = new Map<string, CancelTimer>();
  const sending = new Set<string>();
  const subscriptions: Unsubscribe[] = [];
  let running = false;
  let lastCheckMs = 0;
  let cancelCheck: CancelTimer | null = null;

  const doWake = async (node: NodeRecord, why: string): Promise<void> => {
    if (!running || pending.has(node.nodeId) || sending.has(node.nodeId) || node.macs.length === 0) return;
    const meta = { type: 'action' as const, kind: null, action: 'wake' as const, nodeId: node.nodeId, nodeName: node.name };
    sending.add(node.nodeId);
    try {
      for (const mac of node.macs) await send({ mac, address: opts.broadcastAddress, port: opts.port });
    } catch (err) {
      if (running) opts.history.add({ ...meta, status: 'failed', message: `could not send Wake-on-LAN to ${node.name}: ${describeError(err)}` });
      return;
    } finally {
      sending.delete(node.nodeId);
    }
    if (!running) return;
    const message = `sent Wake-on-LAN to ${node.name} (${node.macs.join(', ')}) via ${opts.broadcastAddress}:${opts.port}: ${why}`;
    opts.log.info(message);
    opts.history.add({ ...meta, status: 'ok', message });
    pending.set(
      node.nodeId,
      opts.clock.setTimeout(() => {
        pending.delete(node.nodeId);
        if (opts.registry.get(node.nodeId)?.state === 'up') return;
        const gaveUp = `${node.name} did not come up within ${Math.round(opts.waitUpMs / 1000)} s after Wake-on-LAN; check its BIOS and OS wake settings`;
        opts.log.warn(gaveUp);
        opts.history.add({ ...meta, status: 'gave-up', message: gaveUp });
      }, opts.waitUpMs),
    );
  };

  // A send in flight when stop() comes finds `running` false afterwards and records nothing.
  const wake = doWake;

  /** Down nodes we could wake: they have MACs and windows. */
  const sleepers = (): NodeRecord[] => opts.registry.snapshot().filter((n) => n.state === 'down' && n.macs.length > 0 && windowAt(n, 0) !== null);

  /**
   * A window opened since the last check → wake that node. The elector has no reason to re-elect
   * when a *down* node's window opens (it stays ineligible), so the waker keeps its own timer for
   * the next opening instead of relying on placement changes.
   */
  const check = (): void => {
    if (!running) return;
    const now = opts.clock.nowMs();
    for (const node of sleepers()) {
      if (windowAt(node, now)?.open === true && windowAt(node, lastCheckMs)?.open === false) void wake(node, 'its window opened'); // never rejects
    }
    lastCheckMs = now;
    arm();
  };

  const arm = (): void => {
    cancelCheck?.();
    cancelCheck = null;
    if (!running) return;
    const now = opts.clock.nowMs();
    const next = sleepers()
      .map((n) => windowAt(n, now)?.changesAtMs ?? null)
      .filter((t): t is number => t !== null && t > now);
    // +1 ms: the boundary itself belongs to the open window (windows are [from, to)).
    if (next.length > 0) cancelCheck = opts.clock.setTimeout(check, Math.min(...next) - now + 1);
  };

  const onChange = (_next: Placement): void => check();

  const onUp = ({ node }: { node: NodeRecord }): void => {
    const cancel = pending.get(node.nodeId);
    if (!cancel || node.state !== 'up') return;
    cancel();
    pending.delete(node.nodeId);
    opts.history.add({ type: 'action', kind: null, action: 'wake', nodeId: node.nodeId, nodeName: node.name, status: 'ok', message: `${node.name} is up after Wake-on-LAN` });
  };

  return {
    name: 'waker',
    async start(signal) {
      if (signal.aborted || running) return;
      running = true;
      lastCheckMs = opts.clock.nowMs();
      subscriptions.push(
        opts.elector.onChange(onChange),
        opts.registry.on('node-state', onUp),
        opts.registry.on('node-state', arm),
        opts.registry.on('node-added', arm),
        opts.registry.on('node-updated', arm),
        opts.registry.on('node-removed', arm),
      );
      arm();
    },
    async stop() {
      running = false;
      for (const off of subscriptions.splice(0)) off();
      cancelCheck?.();
      cancelCheck = null;
      for (const cancel of pending.values()) cancel();
      pending.clear();
    },
    waking: () => new Set(pending.keys()),
    async wake(nodeId, why) {
      const node = opts.registry.get(nodeId);
      if (node && node.state !== 'up') await wake(node, why);
    },
  };
}
