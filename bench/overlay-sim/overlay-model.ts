import { linkSlot } from '../../web/mesh/link/link-policy.ts';
import { startRepairs, topUpWant } from '../../web/mesh/link/link-repair.ts';
import { DEFAULT_MAX_LINKS, type PeerKind } from '../../web/mesh/link/link-budget.ts';
import type { ServerEvent } from './server-log.ts';

/**
 * The peers' half of the overlay as a graph, driven by the real server's frames (server-log.ts).
 * Real: who each peer is introduced to and told about (the server), and the link cap, eviction
 * and repair decisions (`linkSlot` from web/mesh/link/link-policy.ts, `topUpWant` and
 * `startRepairs` from link-repair.ts, the functions mesh-peers.ts calls). Modelled: a link forms
 * the moment it is asked for (no negotiation, no timing, no failures, no glare); a newcomer links
 * to the peers its welcome lists, in order, up to `maxLinks` (mesh.ts's welcome handler); no
 * calls, so every link is idle and the least recently used one is the oldest; a peer that
 * refused a repair offer is not asked again within the same repair (p2p-policy.ts caps it for
 * 60 s); repairs run once the frame that caused them is applied.
 */
interface SimPeer {
  id: string;
  maxLinks: number;
  /** Linked peer id → when the link was made (its `lastUsed`: no traffic in the model). */
  links: Map<string, number>;
  known: Set<string>;
}

/** One peer's `maxLinks`: its kind drawn from `mix` (shares of 1) with one `rand()`. */
export function drawMaxLinks(mix: Record<PeerKind, number>, rand: () => number): number {
  const kinds = Object.entries(mix) as Array<[PeerKind, number]>;
  let r = rand();
  for (const [k, share] of kinds) if ((r -= share) < 0) return DEFAULT_MAX_LINKS[k];
  return DEFAULT_MAX_LINKS[kinds[0]![0]];
}

/** Each peer's `maxLinks`, drawn in the order of `ids`. */
export function maxLinksByPeer(ids: readonly string[], mix: Record<PeerKind, number>, rand: () => number): Map<string, number> {
  return new Map(ids.map((id) => [id, drawMaxLinks(mix, rand)]));
}

/** Random peers a diameter and mean-hops BFS starts from: fewer over 2,000 peers, where each BFS costs more. */
export const bfsSources = (peers: number) => (peers > 2000 ? 32 : 64);

export interface OverlayStats {
  connected: boolean;
  diameterAtLeast: number;
  meanHops: number;
  links: { min: number; p50: number; max: number; mean: number };
}

export class OverlayModel {
  readonly peers = new Map<string, SimPeer>();
  evictions = 0;
  refused = 0;
  linksMade = 0;
  /** Repair offers made (accepted or refused). */
  repairOffers = 0;
  private tick = 0;
  /** Peers evicted by another's cap, and by whom, waiting to repair. */
  private readonly lost: Array<{ peer: string; by: string }> = [];

  /** `links`: told of every link made (`up`) and lost, e.g. a RoutingModel (routing-model.ts). */
  constructor(private readonly maxLinksOf: (id: string) => number, private readonly rand: () => number, private readonly links?: { linkUp(a: string, b: string): void; linkDown(a: string, b: string): void; remove(id: string): void }) {}

  /**
   * Asks for a link a → b; b takes a slot under its cap (evicting its least recently used link) or
   * refuses. A `repair` link only takes free slots.
   */
  private link(a: SimPeer, b: SimPeer, repair = false): boolean {
    if (a.links.has(b.id)) return true;
    // Both ends first: a refusal must not leave an eviction behind.
    const slots = [a, b].map((self) => linkSlot([...self.links].map(([id, lastUsed]) => ({ id, lastUsed })), self.maxLinks, () => true, repair));
    if (slots.includes(undefined)) return (this.refused++, false);
    [a, b].forEach((self, i) => {
      const slot = slots[i]!;
      if (slot === 'free') return;
      self.links.delete(slot.id);
      this.peers.get(slot.id)?.links.delete(self.id);
      this.links?.linkDown(self.id, slot.id);
      this.evictions++;
      this.lost.push({ peer: slot.id, by: self.id });
    });
    a.links.set(b.id, ++this.tick);
    b.links.set(a.id, this.tick);
    this.links?.linkUp(a.id, b.id);
    a.known.add(b.id);
    b.known.add(a.id);
    this.linksMade++;
    return true;
  }

  /**
   * mesh-peers.ts's repair: repair offers to known present peers without a link, at random, up to
   * min(maxLinks, 8) links and within REPAIR_TRIES offers; each refusal starts the next round.
   */
  private repair(q: SimPeer, capped: Set<string>): void {
    let tries: number | undefined;
    for (let refusals = 1; refusals > 0 && tries !== 0;) {
      refusals = 0;
      const spare = [...q.known].filter((x) => this.peers.has(x) && !q.links.has(x) && !capped.has(x));
      tries = startRepairs(spare, topUpWant(q.maxLinks, q.links.size), tries, this.rand, (x) => {
        this.repairOffers++;
        if (!this.link(q, this.peers.get(x)!, true)) (capped.add(x), refusals++);
        return true;
      });
    }
  }

  apply(e: ServerEvent): void {
    this.applyFrame(e);
    // A peer evicted by another's cap repairs, never to the one that evicted it (capped there).
    for (let l = this.lost.shift(); l; l = this.lost.shift()) {
      const q = this.peers.get(l.peer);
      if (q) this.repair(q, new Set([l.by]));
    }
  }

  private applyFrame(e: ServerEvent): void {
    if (e.t === 'welcome') {
      const p: SimPeer = { id: e.peer, maxLinks: this.maxLinksOf(e.peer), links: new Map(), known: new Set(e.listed) };
      this.peers.set(p.id, p);
      let budget = p.maxLinks;
      for (const x of e.listed) {
        const q = this.peers.get(x);
        if (budget <= 0) break;
        // mesh.ts spends the budget on each connect(), whether the other side then takes the link or not.
        if (q) (this.link(p, q), budget--);
      }
    } else if (e.t === 'joined') {
      const q = this.peers.get(e.to);
      if (q) for (const id of e.ids) q.known.add(id);
    } else if (e.t === 'gone') {
      const gone = this.peers.get(e.peer);
      this.peers.delete(e.peer);
      for (const x of gone?.links.keys() ?? []) (this.peers.get(x)?.links.delete(e.peer), this.links?.linkDown(x, e.peer));
      this.links?.remove(e.peer);
    } else if (e.t === 'left') {
      const q = this.peers.get(e.to);
      if (!q) return;
      for (const id of e.ids) q.known.delete(id);
      // mesh-peers.ts scheduleTopUp: after the batch, repair links to known present peers without a link.
      this.repair(q, new Set());
    }
  }

  /** BFS from `sources` random peers: the largest and mean hop count seen, and whether all were reached. */
  stats(sources: number): OverlayStats {
    const ids = [...this.peers.keys()];
    let worst = 0;
    let sum = 0;
    let pairs = 0;
    let connected = true;
    for (let s = 0; s < sources; s++) {
      const start = ids[Math.floor(this.rand() * ids.length)]!;
      const dist = new Map([[start, 0]]);
      const queue = [start];
      for (let i = 0; i < queue.length; i++) {
        const d = dist.get(queue[i]!)!;
        for (const n of this.peers.get(queue[i]!)!.links.keys()) if (!dist.has(n)) (dist.set(n, d + 1), queue.push(n));
      }
      if (dist.size < ids.length) connected = false;
      for (const d of dist.values()) (worst = Math.max(worst, d), (sum += d), pairs++);
    }
    const counts = [...this.peers.values()].map((p) => p.links.size).sort((a, b) => a - b);
    return {
      connected, diameterAtLeast: worst, meanHops: sum / Math.max(1, pairs - sources),
      links: { min: counts[0] ?? 0, p50: counts[Math.ceil(counts.length / 2) - 1] ?? 0, max: counts[counts.length - 1] ?? 0, mean: counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length) },
    };
  }
}
