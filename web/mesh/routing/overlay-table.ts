import { MAX_ROUTE_ENTRIES, MAX_ROUTE_HOPS } from '../../../protocol/peer-routing-limits.ts';

/** One way to reach a peer: send to neighbour `via`; the payload then takes `hops` hops in all. */
export interface NextHop {
  via: string;
  hops: number;
}

/**
 * Who this peer can reach over other peers' DataChannels: a bounded distance vector. Each
 * neighbour (a peer with a verified DataChannel) announces the peers it reaches in at most
 * MAX_ROUTE_HOPS - 1 hops; we reach them in one more. Announcements are split-horizon (what we
 * reach only through a neighbour is not announced back to it) and capped at MAX_ROUTE_ENTRIES,
 * nearest first, so their size never grows with the mesh. Loops that stale entries could still
 * form are cut by the payload's path (no peer visited twice) and TTL, not by this table.
 */
export interface OverlayTable {
  /** A DataChannel to `id` opened (verified): `id` is a neighbour at one hop. */
  linkUp(id: string): boolean;
  /** The DataChannel to `id` is gone, and with it everything it announced. */
  linkDown(id: string): boolean;
  /** `from`'s announcement replaces its previous one (the first makes it a relay); false when nothing changed (or `from` is no neighbour). */
  announce(from: string, entries: ReadonlyArray<readonly [string, number]>): boolean;
  /** Ways to `dst`, fewest hops first, never through a peer in `avoid`. */
  nextHops(dst: string, avoid?: ReadonlySet<string>): NextHop[];
  /** Every peer's best distance and the second best through another neighbour: one per announce round, for all neighbours. */
  snapshot(): RouteSnapshot;
  /**
   * What to tell neighbour `to`: `[peer, hops]`, nearest first, without routes that only go
   * through `to`. Pass one `snapshot()` for a round over all neighbours (else one is made per call).
   */
  announcementFor(to: string, snap?: RouteSnapshot): Array<[string, number]>;
  neighbours(): string[];
  isNeighbour(id: string): boolean;
}

/** Per peer: the best distance `d1` (through `v1`) and the best through any other neighbour `d2`. */
export type RouteSnapshot = ReadonlyMap<string, { d1: number; v1: string; d2: number }>;

/** Creates the table for the peer `localId()` (its own id never enters it). */
export function createOverlayTable(localId: () => string | undefined): OverlayTable {
  /** Peers with a verified DataChannel to us. */
  const linked = new Set<string>();
  /**
   * Neighbour → what it announced (peer → its hops to it). Only neighbours that announced are
   * used or announced: a peer without routing (an older version) never gets payloads to relay.
   */
  const heard = new Map<string, Map<string, number>>();

  const sameEntries = (a: Map<string, number>, b: Map<string, number>) => {
    if (a.size !== b.size) return false;
    for (const [k, h] of a) if (b.get(k) !== h) return false;
    return true;
  };

  /** Per peer, the best distance and the second best through another neighbour (for split horizon). */
  function bestTwo(): Map<string, { d1: number; v1: string; d2: number }> {
    const best = new Map<string, { d1: number; v1: string; d2: number }>();
    const offer = (dst: string, d: number, via: string) => {
      const b = best.get(dst);
      if (!b) return void best.set(dst, { d1: d, v1: via, d2: Infinity });
      if (d < b.d1 || (d === b.d1 && via < b.v1)) {
        if (b.v1 !== via) b.d2 = b.d1;
        b.d1 = d;
        b.v1 = via;
      } else if (via !== b.v1 && d < b.d2) b.d2 = d;
    };
    const me = localId();
    for (const [n, entries] of heard) {
      offer(n, 1, n);
      for (const [dst, h] of entries) if (dst !== me && dst !== n && h + 1 <= MAX_ROUTE_HOPS) offer(dst, h + 1, n);
    }
    return best;
  }

  return {
    linkUp(id) {
      if (linked.has(id) || id === localId()) return false;
      linked.add(id);
      return true;
    },
    linkDown: (id) => (heard.delete(id), linked.delete(id)),
    announce(from, entries) {
      if (!linked.has(from)) return false;
      const old = heard.get(from);
      const next = new Map<string, number>();
      const me = localId();
      for (const [id, h] of entries.slice(0, MAX_ROUTE_ENTRIES)) {
        if (id !== me && id !== from && Number.isInteger(h) && h >= 1 && h < MAX_ROUTE_HOPS && !(next.get(id)! <= h)) next.set(id, h);
      }
      if (old && sameEntries(old, next)) return false;
      heard.set(from, next);
      return true;
    },
    nextHops(dst, avoid) {
      const out: NextHop[] = [];
      for (const [n, entries] of heard) {
        if (avoid?.has(n)) continue;
        if (n === dst) out.push({ via: n, hops: 1 });
        else {
          const h = entries.get(dst);
          if (h !== undefined && h + 1 <= MAX_ROUTE_HOPS) out.push({ via: n, hops: h + 1 });
        }
      }
      return out.sort((a, b) => a.hops - b.hops || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0));
    },
    snapshot: bestTwo,
    announcementFor(to, snap = bestTwo()) {
      const list: Array<[string, number]> = [];
      for (const [dst, b] of snap) {
        if (dst === to) continue;
        const d = b.v1 === to ? b.d2 : b.d1;
        if (d <= MAX_ROUTE_HOPS - 1) list.push([dst, d]);
      }
      list.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
      return list.slice(0, MAX_ROUTE_ENTRIES);
    },
    neighbours: () => [...linked],
    isNeighbour: (id) => linked.has(id),
  };
}
