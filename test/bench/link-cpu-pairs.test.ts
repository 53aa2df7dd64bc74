import { describe, expect, it } from 'vitest';
import { growPairs } from '../../bench/link-cpu/grow-round.ts';

const key = ([a, b]: [string, string]) => [a, b].sort().join(' ');

describe('link-cpu growing mesh pairs', () => {
  for (const n of [20, 8, 32]) {
    it(`splits every pair of ${n} peers once between first links and later links, none to itself`, () => {
      const names = Array.from({ length: n }, (_, i) => `p${i}`);
      const { first, later } = growPairs(names);
      const all = [...first, ...later].map(key);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe((n * (n - 1)) / 2);
      expect([...first, ...later].every(([a, b]) => a !== b)).toBe(true);
      // Every peer but the first is introduced once, to a peer that joined before it: a tree, so the
      // first links connect everyone with n - 1 links, within 4 hops of each other.
      expect(first.length).toBe(n - 1);
      const adj = new Map(names.map((x) => [x, [] as string[]]));
      for (const [a, b] of first) (adj.get(a)!.push(b), adj.get(b)!.push(a));
      for (const [i, name] of first.map(([a]) => a).entries()) expect(names.indexOf(first[i]![1])).toBeLessThan(names.indexOf(name));
      for (const src of names) {
        const dist = new Map([[src, 0]]);
        const queue = [src];
        for (const x of queue) for (const y of adj.get(x)!) if (!dist.has(y)) (dist.set(y, dist.get(x)! + 1), queue.push(y));
        expect(dist.size).toBe(n);
        expect(Math.max(...dist.values())).toBeLessThanOrEqual(4);
      }
    });
  }

  it('gives 20 peers 19 first links and 171 later ones', () => {
    const { first, later } = growPairs(Array.from({ length: 20 }, (_, i) => `p${i}`));
    expect([first.length, later.length]).toEqual([19, 171]);
  });
});
