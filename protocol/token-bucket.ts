/** Token bucket: `ratePerSec` refill, `burst` capacity; `now` in ms. */
export function createTokenBucket(ratePerSec: number, burst: number, now: () => number) {
  let tokens = burst;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * ratePerSec);
    last = t;
  };
  return {
    /** Takes `n` tokens (one frame, or a frame's bytes); false when fewer are left (refuse it). */
    take(n = 1): boolean {
      refill();
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
    /** Milliseconds until `n` tokens will be there (0: now). */
    waitFor(n = 1): number {
      refill();
      return tokens >= n ? 0 : Math.ceil(((Math.min(n, burst) - tokens) / ratePerSec) * 1000);
    },
  };
}
