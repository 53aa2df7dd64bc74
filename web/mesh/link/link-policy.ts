/**
 * The link cap as pure decisions, so the overlay simulation (bench/overlay-sim.ts) runs the same
 * rules as the mesh (mesh-peers.ts) instead of a copy; overlay repair's are link-repair.ts.
 */

/**
 * Whether a new link fits under `maxLinks` given the other `active` links: `free` when it does,
 * else the least recently used link that `evictable` allows to go (it carries nothing now), or
 * undefined when none may (the new link is refused). A `repair` link (overlay repair, the offer's
 * `repair` flag) never evicts: it takes a free slot or is refused, so one repair cannot start
 * another and repairs end (docs/architecture.md "Overlay").
 */
export function linkSlot<T extends { readonly lastUsed: number }>(active: readonly T[], maxLinks: number, evictable: (link: T) => boolean, repair?: boolean): 'free' | T | undefined {
  if (active.length < maxLinks) return 'free';
  return repair ? undefined : active.filter(evictable).sort((a, b) => a.lastUsed - b.lastUsed)[0];
}
