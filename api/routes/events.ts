/**
 * `GET /api/v1/events`: Server-Sent Events for the live UI (issue 6). On connect the client gets
 * the current state (`nodes`, `placement`), then one event per change: `node`, `node-removed`,
 * `placement`, `history`. A comment line every `heartbeatMs` keeps proxies from closing an idle
 * stream. The subscription is removed when the client goes away.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Clock } from '../../agent/kernel/clock.js';
import type { Unsubscribe } from '../../agent/kernel/events.js';

export interface MeshEvent {
  event: 'node' | 'node-removed' | 'placement' | 'history' | 'nodes';
  data: unknown;
}

export interface EventsDeps {
  clock: Clock;
  /** What a new client sees first. */
  initial: () => MeshEvent[];
  subscribe: (listener: (e: MeshEvent) => void) => Unsubscribe;
  heartbeatMs?: number;
}

export function eventsRoutes(deps: EventsDeps): Hono {
  return new Hono().get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: (MeshEvent | 'heartbeat')[] = [...deps.initial()];
      let wake: (() => void) | null = null;
      const off = deps.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      const heartbeat = { cancel: (): void => undefined };
      const beat = (): void => {
        heartbeat.cancel = deps.clock.setTimeout(() => {
          queue.push('heartbeat');
          wake?.();
          beat();
        }, deps.heartbeatMs ?? 15_000);
      };
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      beat();
      try {
        let id = 0;
        while (!closed) {
          const next = queue.shift();
          if (!next) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          if (next === 'heartbeat') await stream.write(': keep-alive\n\n');
          else await stream.writeSSE({ event: next.event, data: JSON.stringify(next.data), id: String(++id) });
        }
      } finally {
        off();
        heartbeat.cancel();
      }
    }),
  );
}
