/** A seeded random source (mulberry32): a benchmark's picks repeat from run to run. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` ordered pairs [caller, callee] of distinct indices below `n`, drawn with `rand`. */
export function randomPairs(n: number, count: number, rand: () => number): Array<[number, number]> {
  if (n < 2) throw new RangeError(`randomPairs needs n >= 2, got ${n}`);
  const out: Array<[number, number]> = [];
  while (out.length < count) {
    const a = Math.floor(rand() * n);
    const b = Math.floor(rand() * (n - 1));
    // Skip over the caller so every other index is equally likely.
    out.push([a, b >= a ? b + 1 : b]);
  }
  return out;
}
