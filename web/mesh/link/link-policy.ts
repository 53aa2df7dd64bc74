import { OVERLAY_DEGREE } from './link-budget.ts';

/**
 * The link cap and overlay repair as pure decisions, so the overlay simulation
 * (bench/overlay-sim.ts) runs the same rules as the mesh (mesh-peers.ts) instead of a copy.
 */

/** Links a peer opens to repair the overlay after losing some: up to min(maxLinks, OVERLAY_DEGREE), never negative. */
export function topUpWant(maxLinks: number, active: number): number {
  return Math.max(0, Math.min(maxLinks, OVERLAY_DEGREE) - active);
}

/** Takes up to `want` entries out of `spare` at random (it is consumed): the repair keeps the overlay's shortcuts random. */
export function pickAtRandom<T>(spare: T[], want: number, random: () => number): T[] {
  const out: T[] = [];
  for (let i = 0; i < want && spare.length; i++) out.push(spare.splice(Math.floor(random() * spare.length), 1)[0]!);
  return out;
}

/**
 * Whether a new link fits under `maxLinks` given the other `active` links: `free` when it does,
 * else the least recently used link that `evictable` allows to go (it carries nothing now), or
 * undefined when none may (the new link is refused).
 */
export function linkSlot<T extends { readonly lastUsed: number }>(active: readonly T[], maxLinks: number, evictable: (link: T) => boolean): 'free' | T | undefined {
  if (active.length < maxLinks) return 'free';
  return active.filter(evictable).sort((a, b) => a.lastUsed - b.lastUsed)[0];
}
