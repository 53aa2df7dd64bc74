/** Full-jitter exponential backoff (AWS architecture blog): each delay is uniform in [0, cap). */
export interface Backoff {
  /** The next delay in ms; grows the cap for the following call. */
  next(): number;
  /** Back to the first step (after a successful session). */
  reset(): void;
  readonly attempt: number;
}

/** Delay n is uniform in [0, min(maxMs, baseMs * 2^n)); defaults 250 ms base, 15 s cap. */
export function createBackoff(opts: { baseMs?: number; maxMs?: number; random?: () => number } = {}): Backoff {
  const base = opts.baseMs ?? 250;
  const max = opts.maxMs ?? 15_000;
  const random = opts.random ?? Math.random;
  let attempt = 0;
  return {
    next() {
      const cap = Math.min(max, base * 2 ** Math.min(attempt, 30));
      attempt++;
      return Math.floor(random() * cap);
    },
    reset() {
      attempt = 0;
    },
    get attempt() {
      return attempt;
    },
  };
}
