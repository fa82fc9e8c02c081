/**
 * A typed event source whose `on` returns the unsubscribe function, so every subscription has an
 * owner that can remove it on stop (DESIGN.md §6.7). A throwing listener is isolated from the others.
 */
export type Unsubscribe = () => void;

export interface Emitter<Events extends Record<string, unknown>> {
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): Unsubscribe;
  emit<K extends keyof Events>(event: K, payload: Events[K]): void;
  /** Like `emit`, but `make` builds the payload only when `event` has a listener (a costly payload). */
  emitWith<K extends keyof Events>(event: K, make: () => Events[K]): void;
  listenerCount(): number;
}

export function createEmitter<Events extends Record<string, unknown>>(onListenerError: (err: unknown) => void): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  const emit = <K extends keyof Events>(event: K, payload: Events[K]): void => {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        (listener as (p: typeof payload) => void)(payload);
      } catch (err) {
        onListenerError(err);
      }
    }
  };
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    emit,
    emitWith(event, make) {
      if ((listeners.get(event)?.size ?? 0) > 0) emit(event, make());
    },
    listenerCount: () => [...listeners.values()].reduce((n, s) => n + s.size, 0),
  };
}
