import { describe, expect, it } from 'vitest';
import { OVERLAY_DEGREE } from '../../web/mesh/link/link-budget.ts';
import { linkSlot, pickAtRandom, topUpWant } from '../../web/mesh/link/link-policy.ts';

describe('link policy', () => {
  it('tops up to min(maxLinks, overlay degree), never below zero', () => {
    expect(topUpWant(64, 3)).toBe(OVERLAY_DEGREE - 3);
    expect(topUpWant(6, 2)).toBe(4);
    expect(topUpWant(6, 9)).toBe(0);
  });

  it('takes random entries out of the spare list without repeats', () => {
    const spare = [1, 2, 3, 4];
    const picked = pickAtRandom(spare, 3, () => 0.99);
    expect(picked).toEqual([4, 3, 2]);
    expect(spare).toEqual([1]);
    expect(pickAtRandom([1], 5, Math.random)).toEqual([1]);
  });

  it('gives a free slot under the cap, else the least recently used evictable link, else none', () => {
    const links = [{ id: 'a', lastUsed: 5 }, { id: 'b', lastUsed: 1 }, { id: 'c', lastUsed: 3 }];
    expect(linkSlot(links, 4, () => true)).toBe('free');
    expect(linkSlot(links, 3, () => true)).toBe(links[1]);
    expect(linkSlot(links, 3, (l) => l.id !== 'b')).toBe(links[2]);
    expect(linkSlot(links, 3, () => false)).toBeUndefined();
  });
});
