import type { Clock } from './platform.ts';

/**
 * One platform timer for many timeouts. Request and task timeouts are set on every call and
 * nearly always cleared long before they fire; here setting one is a Set insert and clearing it
 * a Set delete. The single platform timer is armed for the earliest deadline and re-armed only
 * when an earlier one comes in, or when it fires: a cleared timeout leaves it armed (sequential
 * calls would otherwise arm and disarm it on every call), so it may fire once for nothing and then
 * stays off until the next timeout is set. Deadlines are exact (no rounding). `dispose` disarms.
 */
interface Entry {
  at: number;
  fn: () => void;
}

export interface SharedTimers extends Clock {
  /** Drops every pending timeout and the platform timer (the owner stops). */
  dispose(): void;
}

/** `clock` with `set`/`clear` served by one shared platform timer. */
export function createSharedTimers(clock: Clock): SharedTimers {
  const live = new Set<Entry>();
  let armed: unknown;
  let armedAt = Infinity;

  function arm(at: number): void {
    clock.clear(armed);
    armedAt = at;
    armed = clock.set(fire, Math.max(0, at - clock.elapsed()));
  }

  function fire(): void {
    armed = undefined;
    armedAt = Infinity;
    const now = clock.elapsed();
    const due: Entry[] = [];
    let next = Infinity;
    for (const e of live) {
      if (e.at <= now) due.push(e);
      else if (e.at < next) next = e.at;
    }
    for (const e of due) live.delete(e);
    if (next !== Infinity) arm(next);
    for (const e of due) {
      try {
        e.fn();
      } catch (err) {
        // As a platform timer would: the error surfaces, and the other due timers still run.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  return {
    now: clock.now,
    elapsed: clock.elapsed,
    set(fn, ms) {
      const e: Entry = { at: clock.elapsed() + ms, fn };
      live.add(e);
      if (e.at < armedAt) arm(e.at);
      return e;
    },
    clear(handle) {
      live.delete(handle as Entry);
    },
    dispose() {
      live.clear();
      clock.clear(armed);
      armed = undefined;
      armedAt = Infinity;
    },
  };
}
