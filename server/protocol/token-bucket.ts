/** Token bucket: `ratePerSec` refill, `burst` capacity; `now` in ms. */
export function createTokenBucket(ratePerSec: number, burst: number, now: () => number) {
  let tokens = burst;
  let last = now();
  return {
    /** Takes one token; false when the bucket is empty (the frame should be refused). */
    take(): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * ratePerSec);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
