import { describe, expect, it } from 'vitest';
import { growPairs } from '../../bench/link-cpu/grow-round.ts';

const key = ([a, b]: [string, string]) => [a, b].sort().join(' ');

describe('link-cpu growing mesh pairs', () => {
  for (const n of [20, 8]) {
    it(`splits every pair of ${n} peers once between first links and later links, none to itself`, () => {
      const names = Array.from({ length: n }, (_, i) => `p${i}`);
      const { first, later } = growPairs(names);
      const all = [...first, ...later].map(key);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe((n * (n - 1)) / 2);
      expect([...first, ...later].every(([a, b]) => a !== b)).toBe(true);
      // Each peer has a few first links (the ring neighbours), never the whole mesh.
      for (const name of names) {
        const degree = first.filter(([a, b]) => a === name || b === name).length;
        expect(degree).toBeGreaterThan(0);
        expect(degree).toBeLessThan(n - 1);
      }
    });
  }

  it('gives 20 peers 60 first links and 130 later ones', () => {
    const { first, later } = growPairs(Array.from({ length: 20 }, (_, i) => `p${i}`));
    expect([first.length, later.length]).toEqual([60, 130]);
  });
});
