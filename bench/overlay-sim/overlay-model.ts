import { linkSlot, pickAtRandom, topUpWant } from '../../web/mesh/link/link-policy.ts';
import type { ServerEvent } from './server-log.ts';

/**
 * The peers' half of the overlay as a graph, driven by the real server's frames (server-log.ts).
 * Real: who each peer is introduced to and told about (the server), and the link cap, eviction
 * and repair decisions (`linkSlot`, `topUpWant`, `pickAtRandom` from web/mesh/link/link-policy.ts,
 * the functions mesh-peers.ts calls). Modelled: a link forms the moment it is asked for (no
 * negotiation, no timing, no failures, no glare); a newcomer links to the peers its welcome lists,
 * in order, up to `maxLinks` (mesh.ts's welcome handler); no calls, so every link is idle and
 * the least recently used one is the oldest.
 */
interface SimPeer {
  id: string;
  maxLinks: number;
  /** Linked peer id → when the link was made (its `lastUsed`: no traffic in the model). */
  links: Map<string, number>;
  known: Set<string>;
}

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
  private tick = 0;

  constructor(private readonly maxLinksOf: (id: string) => number, private readonly rand: () => number) {}

  /** Asks for a link a → b; b takes a slot under its cap (evicting its least recently used link) or refuses. */
  private link(a: SimPeer, b: SimPeer): boolean {
    if (a.links.has(b.id)) return true;
    for (const self of [a, b]) {
      const active = [...self.links].map(([id, lastUsed]) => ({ id, lastUsed }));
      const slot = linkSlot(active, self.maxLinks, () => true);
      if (slot === undefined) return (this.refused++, false);
      if (slot !== 'free') {
        self.links.delete(slot.id);
        this.peers.get(slot.id)?.links.delete(self.id);
        this.evictions++;
      }
    }
    a.links.set(b.id, ++this.tick);
    b.links.set(a.id, this.tick);
    a.known.add(b.id);
    b.known.add(a.id);
    this.linksMade++;
    return true;
  }

  apply(e: ServerEvent): void {
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
      for (const x of gone?.links.keys() ?? []) this.peers.get(x)?.links.delete(e.peer);
    } else if (e.t === 'left') {
      const q = this.peers.get(e.to);
      if (!q) return;
      for (const id of e.ids) q.known.delete(id);
      // mesh-peers.ts scheduleTopUp: after the batch, link to known present peers without a link, at random.
      const spare = [...q.known].filter((x) => this.peers.has(x) && !q.links.has(x));
      for (const x of pickAtRandom(spare, topUpWant(q.maxLinks, q.links.size), this.rand)) this.link(q, this.peers.get(x)!);
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
