/**
 * Which frame counters were already accepted: a counter is fresh when it was not seen and is at
 * most `size` below the highest seen (frames can overtake each other only that far).
 */
export interface ReplayWindow {
  fresh(n: number): boolean;
  /** Records `n` as accepted (call only after the frame authenticated). */
  mark(n: number): void;
}

/** Creates a window of `size` counters (default 1024). */
export function createReplayWindow(size = 1024): ReplayWindow {
  let highest = -1;
  let seen = new Set<number>();
  return {
    fresh: (n) => n > highest - size && !seen.has(n),
    mark(n) {
      seen.add(n);
      if (n <= highest) return;
      highest = n;
      if (seen.size > 2 * size) seen = new Set([...seen].filter((m) => m > highest - size));
    },
  };
}
