import { loadavg } from 'node:os';
import { OVERLAY, PeerRing } from '../server/signaling/overlay-picks.ts';
import { DEFAULT_MAX_LINKS, OVERLAY_DEGREE, type PeerKind } from '../web/mesh/link/link-budget.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';

/**
 * The overlay as a graph, no network: the server's real neighbour picks (`PeerRing`, the same
 * code the hub runs) and the mesh core's link rules (link to the listed peers up to `maxLinks`;
 * at the cap an offer evicts the least recently made link; after losing a link, top up to
 * min(maxLinks, 8) from known peers, the server having suggested one replacement). Not the mesh
 * core on an in-memory transport (issue 18 asks for that too; not built yet): timing, glare and
 * failed connections are out of the model.
 */

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** A seeded random source (mulberry32), so runs repeat. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimPeer {
  id: string;
  maxLinks: number;
  /** Linked peers in the order the links were made (oldest first: the eviction order). */
  links: string[];
  known: Set<string>;
}

class Overlay {
  readonly peers = new Map<string, SimPeer>();
  readonly ring = new PeerRing();
  /** Presence entries the server sent (joins told + leaves told + repair suggestions), and evictions. */
  presenceEntries = 0;
  evictions = 0;

  constructor(private readonly rand: () => number) {}

  private link(a: SimPeer, b: SimPeer): void {
    if (a.links.includes(b.id)) return;
    for (const [self, other] of [[a, b], [b, a]] as const) {
      if (self.links.length >= self.maxLinks) {
        const victim = self.links.shift()!;
        const v = this.peers.get(victim)!;
        v.links = v.links.filter((x) => x !== self.id);
        this.evictions++;
      }
      self.links.push(other.id);
      self.known.add(other.id);
    }
  }

  join(id: string, maxLinks: number): void {
    const others = this.ring.size;
    const listed = others <= OVERLAY.completeUpTo ? [...this.ring.all()] : this.ring.pick(id, OVERLAY.near, OVERLAY.random, this.rand);
    const p: SimPeer = { id, maxLinks, links: [], known: new Set(listed) };
    this.peers.set(id, p);
    this.ring.add(id);
    // Told: everyone in a small mesh, else the listed neighbours.
    const told = others <= OVERLAY.completeUpTo ? [...this.peers.values()].filter((q) => q !== p) : listed.map((x) => this.peers.get(x)!);
    for (const q of told) q.known.add(id);
    this.presenceEntries += told.length;
    for (const x of listed.slice(0, maxLinks)) this.link(p, this.peers.get(x)!);
  }

  leave(id: string): void {
    const gone = this.peers.get(id)!;
    this.peers.delete(id);
    this.ring.remove(id);
    const ids = this.ring.all();
    // Its DataChannels close everywhere at once; presence reaches only those that knew it.
    for (const x of gone.links) {
      const q = this.peers.get(x);
      if (q) q.links = q.links.filter((y) => y !== id);
    }
    for (const q of this.peers.values()) {
      if (!q.known.delete(id)) continue;
      this.presenceEntries++;
      if (this.peers.size > OVERLAY.completeUpTo) {
        for (let t = 0; t < 8; t++) {
          const s = ids[Math.floor(this.rand() * ids.length)]!;
          if (s !== q.id && !q.known.has(s)) {
            q.known.add(s);
            this.presenceEntries++;
            break;
          }
        }
      }
      const want = Math.min(q.maxLinks, OVERLAY_DEGREE) - q.links.length;
      const spare = [...q.known].filter((x) => this.peers.has(x) && !q.links.includes(x));
      for (let i = 0; i < want && spare.length; i++) this.link(q, this.peers.get(spare.splice(Math.floor(this.rand() * spare.length), 1)[0]!)!);
    }
  }

  /** BFS from `sources` random peers: max and mean hop count seen, and whether all were reached. */
  distances(sources: number): { diameterAtLeast: number; meanHops: number; connected: boolean } {
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
        for (const n of this.peers.get(queue[i]!)!.links) if (!dist.has(n)) (dist.set(n, d + 1), queue.push(n));
      }
      if (dist.size < ids.length) connected = false;
      for (const d of dist.values()) (worst = Math.max(worst, d), (sum += d), pairs++);
    }
    return { diameterAtLeast: worst, meanHops: sum / Math.max(1, pairs - sources), connected };
  }

  linkStats(): { mean: number; max: number; min: number } {
    const counts = [...this.peers.values()].map((p) => p.links.length);
    return { mean: counts.reduce((a, b) => a + b, 0) / counts.length, max: Math.max(...counts), min: Math.min(...counts) };
  }
}

function simulate(n: number, mix: Record<PeerKind, number>, label: string, ctx: BenchContext): BenchRow[] {
  const rand = seeded(n);
  const o = new Overlay(rand);
  const kinds = Object.entries(mix) as Array<[PeerKind, number]>;
  const kindOf = () => {
    let r = rand();
    for (const [k, share] of kinds) if ((r -= share) < 0) return k;
    return kinds[0]![0];
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) o.join(`k${i.toString(16).padStart(8, '0')}${Math.floor(rand() * 1e9).toString(16)}`, DEFAULT_MAX_LINKS[kindOf()]);
  const joinEntries = o.presenceEntries / n;
  const joined = o.distances(n > 2000 ? 32 : 64);
  const afterJoin = o.linkStats();
  const evictionsJoin = o.evictions;
  // Churn: a tenth of the peers leave, one by one.
  const leaving = [...o.peers.keys()].filter(() => rand() < 0.1);
  o.presenceEntries = 0;
  for (const id of leaving) o.leave(id);
  const churned = o.distances(n > 2000 ? 32 : 64);
  const afterChurn = o.linkStats();
  ctx.log(`${label} ${n}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const row = (phase: string, d: ReturnType<Overlay['distances']>, l: ReturnType<Overlay['linkStats']>, extra: BenchRow): BenchRow => ({
    peers: n, mix: label, phase, connected: d.connected, 'diameter ≥': d.diameterAtLeast, 'mean hops': round(d.meanHops),
    'links/peer mean': round(l.mean, 1), 'links/peer min': l.min, 'links/peer max': l.max, ...extra,
  });
  return [
    row('after joins', joined, afterJoin, { 'presence entries/join': round(joinEntries, 1), evictions: evictionsJoin }),
    row(`after ${leaving.length} leaves`, churned, afterChurn, { 'presence entries/leave': round(o.presenceEntries / Math.max(1, leaving.length), 1), evictions: o.evictions - evictionsJoin }),
  ];
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const sizes = ctx.quick ? [1000] : [1000, 10_000];
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    rows.push(...simulate(n, { node: 1, phone: 0, desktop: 0 }, 'all Node (64 links)', ctx));
    rows.push(...simulate(n, { phone: 0.5, desktop: 0.4, node: 0.1 }, 'phones 50 %, tabs 40 %, Node 10 %', ctx));
  }
  return {
    rows,
    settings: [
      'no server or network: a seeded graph model (same picks every run); `maxLinks` per kind from the defaults (`DEFAULT_MAX_LINKS`), a tenth of the peers leaving one by one after the joins',
    ],
    notes: [
      'graph model of the overlay (server picks from server/signaling/overlay-picks.ts, link rules of web/mesh/mesh.ts); diameter from BFS out of 32-64 random peers (a lower bound)',
      'presence entries: peers told of a join / a leave (plus one repair suggestion per peer that knew the leaver); frames are fewer (batched per 500 ms)',
      `load average ${loadavg().map((l) => round(l)).join(' ')} (pure computation; time does not matter here)`,
    ],
  };
}
