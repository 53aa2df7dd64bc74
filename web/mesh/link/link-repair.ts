import type { PeerRoute } from '../routing/peer-route-types.ts';
import { OVERLAY_DEGREE } from './link-budget.ts';

/**
 * Overlay repair as pure decisions, shared by the mesh (mesh-peers.ts) and the overlay
 * simulation (bench/overlay-sim.ts). Loaded on the first repair, not with the page: a peer that
 * never loses a link never needs it (docs/browser-library.md "Size").
 */

/**
 * Repair offers one repair (an eviction or a lost neighbour) may make in all, refused ones
 * included. A refused repair offer tries the next peer, so without this a peer in a mesh where
 * everyone is full would ask every peer it knows; with it a repair costs at most this many offers.
 */
export const REPAIR_TRIES = 6;

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
 * Starts repair links to `spare` peers in random order until `want` started or `tries` are spent
 * (undefined: a new loss, REPAIR_TRIES); `start` says whether an offer went out (a peer this one
 * may not offer to now costs no try). Returns the tries left, for the next round after a refusal.
 */
export function startRepairs<T>(spare: T[], want: number, tries = REPAIR_TRIES, random: () => number, start: (peer: T) => boolean): number {
  for (const peer of pickAtRandom(spare, spare.length, random)) if (want > 0 && tries > 0 && start(peer)) (want--, tries--);
  return tries;
}

/** mesh-peers.ts's top-up: repair links to present peers this one has no link to. */
export function repairRoutes(routes: Iterable<PeerRoute>, maxLinks: number, active: number, tries: number | undefined): number {
  const spare = [...routes].filter((r) => r.present && r.link.state === 'idle');
  return startRepairs(spare, topUpWant(maxLinks, active), tries, Math.random, (r) => r.connect(true));
}
