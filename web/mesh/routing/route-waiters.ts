import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';

const MAX_WAITING = 1024;

export type RouteWaiters = ReturnType<typeof createRouteWaiters>;

/** Messages waiting for a route to `peerId` to change (open, fail over, or close). */
export function createRouteWaiters(clock: Clock, peerId: string, timeoutMs: number) {
  let waiters: Array<() => void> = [];
  return {
    wakeAll(): void {
      for (const wake of waiters.splice(0)) wake();
    },
    wait(): Promise<void> {
      if (waiters.length >= MAX_WAITING) return Promise.reject(new MeshError('backpressure', `more than ${MAX_WAITING} messages waiting for a route to ${peerId}`, { peerId }));
      return new Promise<void>((resolve) => {
        const wake = () => (clock.clear(timer), resolve());
        // Re-check now and then too: a stack that loses a close event must not strand messages.
        const timer = clock.set(() => {
          waiters = waiters.filter((w) => w !== wake);
          resolve();
        }, timeoutMs);
        waiters.push(wake);
      });
    },
  };
}
