import type { Clock } from '../../web/mesh/platform.ts';

/**
 * A movable clock for pure-logic tests: `advance(ms)` runs every timer due by then, in deadline
 * order. `platformTimers()` counts the timers set and not yet run or cleared, `armedCount()` every
 * timer ever set (so sharing one platform timer is visible).
 */
export function createFakeClock() {
  let t = 0;
  let nextId = 1;
  let armed = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => t,
    elapsed: () => t,
    set(fn, ms) {
      armed++;
      timers.set(nextId, { at: t + ms, fn });
      return nextId++;
    },
    clear: (h) => void timers.delete(h as number),
  };
  function advance(ms: number): void {
    const end = t + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      t = due[1].at;
      due[1].fn();
    }
    t = end;
  }
  return { clock, advance, platformTimers: () => timers.size, armedCount: () => armed };
}
