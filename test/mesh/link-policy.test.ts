import { describe, expect, it } from 'vitest';
import { OVERLAY_DEGREE } from '../../web/mesh/link/link-budget.ts';
import { linkSlot } from '../../web/mesh/link/link-policy.ts';
import { pickAtRandom, REPAIR_TRIES, startRepairs, topUpWant } from '../../web/mesh/link/link-repair.ts';

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

  it('gives a repair link only a free slot: at the cap it is refused, never evicting', () => {
    const links = [{ id: 'a', lastUsed: 5 }, { id: 'b', lastUsed: 1 }];
    expect(linkSlot(links, 3, () => true, true)).toBe('free');
    expect(linkSlot(links, 2, () => true, true)).toBeUndefined();
    expect(linkSlot(links, 2, () => true, false)).toBe(links[1]);
  });

  it('starts repairs until enough started, skipping peers it may not offer to, within the tries', () => {
    const started: number[] = [];
    // Peer 3 cannot be offered to (capped here): no try spent on it.
    const start = (p: number) => p !== 3 && (started.push(p), true);
    expect(startRepairs([1, 2, 3, 4, 5], 2, 6, () => 0.99, start)).toBe(4);
    expect(started).toEqual([5, 4]);
    started.length = 0;
    expect(startRepairs([1, 2, 3, 4, 5], 9, 6, () => 0.99, start)).toBe(2);
    expect(started).toEqual([5, 4, 2, 1]);
    started.length = 0;
    // Tries run out before `want` is met: no more offers.
    expect(startRepairs([1, 2, 4, 5], 4, 2, () => 0, start)).toBe(0);
    expect(started).toEqual([1, 2]);
    // A new loss (tries undefined) counts REPAIR_TRIES.
    expect(startRepairs([1, 2], 1, undefined, () => 0, () => true)).toBe(REPAIR_TRIES - 1);
    expect(startRepairs([1, 2], 1, 0, () => 0, () => true)).toBe(0);
  });

  it('ends a repair after REPAIR_TRIES offers even when every peer refuses', () => {
    // Every round: each offer it starts is refused (the peer is then capped, as p2p-policy does),
    // and the refusal starts the next round with what is left, as mesh-peers does.
    const capped = new Set<number>();
    const peers = Array.from({ length: 100 }, (_, i) => i);
    let offers = 0;
    let tries: number | undefined;
    for (let round = 0; round < 200; round++) {
      tries = startRepairs(peers.filter((p) => !capped.has(p)), 3, tries, Math.random, (p) => (offers++, capped.add(p), true));
      if (tries === 0) break;
    }
    expect(offers).toBe(REPAIR_TRIES);
  });
});
