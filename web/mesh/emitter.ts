/** A tiny typed event emitter; a throwing listener is reported, never breaks the emitter. */
export interface Emitter<E> {
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, fn: (value: E[K]) => void): () => void;
  emit<K extends keyof E>(event: K, value: E[K]): void;
}

/** Creates an emitter for the event map `E` (event name -> payload type). */
export function createEmitter<E>(): Emitter<E> {
  const listeners = new Map<keyof E, Set<(value: never) => void>>();
  return {
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as (value: never) => void);
      return () => void set.delete(fn as (value: never) => void);
    },
    emit(event, value) {
      for (const fn of [...(listeners.get(event) ?? [])]) {
        try {
          (fn as (v: typeof value) => void)(value);
        } catch (err) {
          console.error(`tabmesh: "${String(event)}" listener threw`, err);
        }
      }
    },
  };
}
