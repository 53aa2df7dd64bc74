/** One measured step: how many samples it needs and how to take one (returns milliseconds). */
export interface Step {
  n: number;
  sample(): Promise<number>;
}

/**
 * Takes every step's samples spread evenly over the same rounds (a step with fewer samples runs
 * in fewer rounds), the order within a round reversed every other round, so drift in the
 * machine's load over the run hits every step alike instead of favouring the one measured last.
 */
export async function interleave<K extends string>(steps: Record<K, Step>, log?: (m: string) => void): Promise<Record<K, number[]>> {
  const names = Object.keys(steps) as K[];
  const rounds = Math.max(...names.map((k) => steps[k].n));
  const out = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < rounds; i++) {
    for (const k of i % 2 ? [...names].reverse() : names) {
      const { n, sample } = steps[k];
      // Round i gets one sample of k when ⌊(i+1)·n/rounds⌋ steps past ⌊i·n/rounds⌋.
      if (Math.floor(((i + 1) * n) / rounds) > Math.floor((i * n) / rounds)) out[k].push(await sample());
    }
    if (log && (i + 1) % Math.max(1, Math.floor(rounds / 5)) === 0) log(`round ${i + 1}/${rounds}`);
  }
  return out;
}
