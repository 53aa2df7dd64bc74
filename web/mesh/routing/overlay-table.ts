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
 *
 * Kept incrementally: an announcement costs the entries it changed, not neighbours × table
 * size (the best and second-best way per peer are updated for the peers it touched only).
 */
export interface OverlayTable {
  /** A DataChannel to `id` opened (verified): `id` is a neighbour at one hop. */
  linkUp(id: string): boolean;
  /** The DataChannel to `id` is gone, and with it everything it announced. */
  linkDown(id: string): boolean;
  /** `from`'s announcement replaces its previous one (the first makes it a relay); false when nothing changed (or `from` is no neighbour). */
  announce(from: string, entries: ReadonlyArray<readonly [string, number]>): boolean;
  /**
   * Changes `from`'s previous announcement: `add` entries are new or have other hops, `drop`
   * peers are no longer reached. False when nothing changed; undefined when `from` never
   * announced (nothing to change) or the result would exceed MAX_ROUTE_ENTRIES: the caller asks
   * for its whole table again.
   */
  applyDelta(from: string, add: ReadonlyArray<readonly [string, number]>, drop: readonly string[]): boolean | undefined;
  /** Ways to `dst`, fewest hops first, never through a peer in `avoid`. */
  nextHops(dst: string, avoid?: ReadonlySet<string>): NextHop[];
  /** The best way to `dst` (fewest hops, then lowest neighbour id), if any: `nextHops(dst)[0]`. */
  best(dst: string): NextHop | undefined;
  /** Every peer's best distance and the second best through another neighbour (live: kept up to date). */
  snapshot(): RouteSnapshot;
  /**
   * What to tell neighbour `to`: `[peer, hops]`, nearest first, without routes that only go
   * through `to`, at most MAX_ROUTE_ENTRIES.
   */
  announcementFor(to: string): Array<[string, number]>;
  /** What we tell `to` about `dst` now (undefined: nothing), before the entry cap. */
  entryFor(to: string, dst: string): number | undefined;
  /** Peers whose best or second-best way changed since the last call (what announcements may need to say). */
  takeChanged(): Set<string>;
  /** Peers whose best way changed since the last call (routes to them re-pick). */
  takeRerouted(): Set<string>;
  neighbours(): string[];
  isNeighbour(id: string): boolean;
}

/** Per peer: the best distance `d1` (through `v1`) and the best through any other neighbour `d2`. */
export interface RouteBest {
  /** The peer's id: the one string the table keeps for it (each neighbour's announcement parses its own copy). */
  id: string;
  d1: number;
  v1: string;
  d2: number;
}
export type RouteSnapshot = ReadonlyMap<string, RouteBest>;

const byHopsThenVia = (a: NextHop, b: NextHop) => a.hops - b.hops || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0);

/** Creates the table for the peer `localId()` (its own id never enters it). */
export function createOverlayTable(localId: () => string | undefined): OverlayTable {
  /** Peers with a verified DataChannel to us. */
  const linked = new Set<string>();
  /**
   * Neighbour → what it announced (peer → its hops to it). Only neighbours that announced are
   * used or announced: a peer without routing (an older version) never gets payloads to relay.
   */
  const heard = new Map<string, Map<string, number>>();
  const { best, way, settle, takeChanged, takeRerouted, ordered, waysTo } = createBestWays(heard);
  /** A neighbour's entry `h` as our hops through it (undefined: no entry). */
  const plus1 = (h: number | undefined) => (h === undefined ? undefined : h + 1);

  /** An entry a neighbour may announce (whole or by delta): not us, not itself, 1 to MAX_ROUTE_HOPS - 1 hops. */
  const acceptable = (me: string | undefined, from: string, id: string, h: number) => id !== me && id !== from && Number.isInteger(h) && h >= 1 && h < MAX_ROUTE_HOPS;
  /** The table's own string for a peer it knows: a mesh of thousands holds each id once, not once per neighbour that announced it. */
  const canonical = (id: string) => best.get(id)?.id ?? id;

  function forget(from: string): void {
    const old = heard.get(from);
    if (!old) return;
    heard.delete(from);
    way(from, from, 1, undefined);
    for (const [dst, h] of old) way(dst, from, h + 1, undefined);
  }

  const entryFor = (to: string, dst: string) => {
    const b = best.get(dst);
    if (!b || dst === to) return undefined;
    const d = b.v1 === to ? b.d2 : b.d1;
    return d <= MAX_ROUTE_HOPS - 1 ? d : undefined;
  };

  return {
    linkUp(id) {
      if (linked.has(id) || id === localId()) return false;
      linked.add(id);
      return true;
    },
    linkDown(id) {
      forget(id);
      settle();
      return linked.delete(id);
    },
    announce(from, entries) {
      if (!linked.has(from)) return false;
      const old = heard.get(from);
      const next = new Map<string, number>();
      const me = localId();
      for (const [id, h] of entries.slice(0, MAX_ROUTE_ENTRIES)) {
        if (acceptable(me, from, id, h) && !(next.get(id)! <= h)) next.set(canonical(id), h);
      }
      if (old) {
        let same = old.size === next.size;
        for (const [dst, h] of old) {
          if (next.get(dst) === h) continue;
          same = false;
          way(dst, from, h + 1, plus1(next.get(dst)));
        }
        if (same) return false;
      }
      heard.set(from, next);
      if (!old) way(from, from, undefined, 1);
      for (const [dst, h] of next) if (!old?.has(dst)) way(dst, from, undefined, h + 1);
      settle();
      return true;
    },
    applyDelta(from, add, drop) {
      const entries = heard.get(from);
      if (!linked.has(from) || !entries) return undefined;
      const me = localId();
      let any = false;
      for (const id of drop) {
        const dst = canonical(id);
        const h = entries.get(dst);
        if (h === undefined) continue;
        any = true;
        entries.delete(dst);
        way(dst, from, h + 1, undefined);
      }
      for (const [id, h] of add) {
        if (!acceptable(me, from, id, h) || entries.get(id) === h) continue;
        any = true;
        const dst = canonical(id);
        way(dst, from, plus1(entries.get(dst)), h + 1);
        entries.set(dst, h);
      }
      settle();
      if (entries.size > MAX_ROUTE_ENTRIES) {
        // More than one whole announcement may hold: this state is not what `from` has; forget it until a full one comes.
        forget(from);
        heard.set(from, new Map());
        way(from, from, undefined, 1);
        settle();
        return undefined;
      }
      return any;
    },
    nextHops(dst, avoid) {
      const out: NextHop[] = [];
      waysTo(dst, (via, hops) => void (avoid?.has(via) || out.push({ via, hops })));
      return out.sort(byHopsThenVia);
    },
    best(dst) {
      const b = best.get(dst);
      return b && { via: b.v1, hops: b.d1 };
    },
    snapshot: () => best,
    announcementFor(to) {
      // Walks the peers by best distance (sorted once for all neighbours) and stops at the cap:
      // sorting the whole table for every neighbour cost O(N log N) each time a full list
      // changed at its edge, most of a round's CPU once a peer knew more peers than the cap.
      // Peers best reached through `to` are told their second-best distance, never nearer than
      // their place in the walk, so once the cap is filled by others nothing later can enter.
      const list: Array<[string, number]> = [];
      let others = 0;
      for (const dst of ordered()) {
        const b = best.get(dst)!;
        if (b.d1 > MAX_ROUTE_HOPS - 1) break;
        if (dst === to) continue;
        if (b.v1 !== to) (list.push([dst, b.d1]), others++);
        else if (b.d2 <= MAX_ROUTE_HOPS - 1) list.push([dst, b.d2]);
        if (others >= MAX_ROUTE_ENTRIES) break;
      }
      // Nearly sorted already (only the second-best entries are out of place): cheap to sort.
      list.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
      return list.length > MAX_ROUTE_ENTRIES ? list.slice(0, MAX_ROUTE_ENTRIES) : list;
    },
    entryFor,
    takeChanged,
    takeRerouted,
    neighbours: () => [...linked],
    isNeighbour: (id) => linked.has(id),
  };
}

/**
 * The best two ways to each peer, kept up to date as ways change: a new or shorter way updates
 * them at once; only a way that got longer or went, and was the best or the second best, makes
 * the peer's ways be read again. The ways themselves are not stored but read from what the
 * neighbours announced (`heard`), one lookup per neighbour: a map of ways per known peer held
 * the same facts a second time, a map per peer in a table of thousands.
 */
function createBestWays(heard: ReadonlyMap<string, ReadonlyMap<string, number>>) {
  const best = new Map<string, RouteBest>();
  /** Peers whose ways changed since the last `settle`, with their best ways before (undefined: none). */
  const touched = new Map<string, Omit<RouteBest, 'id'> | undefined>();
  /** Touched peers whose best ways must be read again from every neighbour. */
  const rescan = new Set<string>();
  let changed = new Set<string>();
  let rerouted = new Set<string>();
  /** The peers in `best` by (d1, id); undefined once a best distance changed (rebuilt when asked). */
  let order: string[] | undefined;

  /**
   * Calls `way` for each neighbour `dst` is reached through, with our hops that way: a neighbour
   * that announced is one hop away itself, and every entry it announced (all acceptable, so
   * within MAX_ROUTE_HOPS - 1) is one more than it said.
   */
  function waysTo(dst: string, way: (via: string, hops: number) => void): void {
    for (const [via, entries] of heard) {
      if (via === dst) way(via, 1);
      else {
        const h = entries.get(dst);
        if (h !== undefined) way(via, h + 1);
      }
    }
  }

  /** The way to `dst` through `via` went from `was` hops to `now` (undefined: no way). */
  function way(dst: string, via: string, was: number | undefined, now: number | undefined): void {
    if (was === now) return;
    const b = best.get(dst);
    if (!touched.has(dst)) touched.set(dst, b && { d1: b.d1, v1: b.v1, d2: b.d2 });
    if (rescan.has(dst)) return;
    if (now !== undefined && (was === undefined || now < was)) {
      if (!b) best.set(dst, { id: dst, d1: now, v1: via, d2: Infinity });
      else if (via === b.v1) b.d1 = now;
      else if (now < b.d1 || (now === b.d1 && via < b.v1)) (b.d2 = b.d1, (b.d1 = now), (b.v1 = via));
      else if (now < b.d2) b.d2 = now;
      return;
    }
    // Longer or gone: it matters only if it was the best way or (through another neighbour) the second best.
    if (b && (via === b.v1 || was! <= b.d2)) rescan.add(dst);
  }

  /** `dst`'s best two ways, read from every neighbour. */
  function scan(dst: string): RouteBest | undefined {
    let b: RouteBest | undefined;
    waysTo(dst, (via, d) => {
      if (!b) b = { id: dst, d1: d, v1: via, d2: Infinity };
      else if (d < b.d1 || (d === b.d1 && via < b.v1)) (b.d2 = b.d1, (b.d1 = d), (b.v1 = via));
      else if (d < b.d2) b.d2 = d;
    });
    return b;
  }

  /** Reads again the peers that need it, and notes what changed for announcements and routes. */
  function settle(): void {
    for (const [dst, old] of touched) {
      let b = best.get(dst);
      if (rescan.has(dst)) {
        b = scan(b?.id ?? dst);
        if (b) best.set(dst, b);
        else best.delete(dst);
      }
      if (old?.d1 !== b?.d1) order = undefined;
      if (old?.d1 !== b?.d1 || old?.v1 !== b?.v1) rerouted.add(dst);
      if (rerouted.has(dst) || old?.d2 !== b?.d2) changed.add(dst);
    }
    touched.clear();
    rescan.clear();
  }

  /** Hands over what changed since the last call and starts a new set. */
  const takeChanged = () => {
    const c = changed;
    changed = new Set<string>();
    return c;
  };
  const takeRerouted = () => {
    const r = rerouted;
    rerouted = new Set<string>();
    return r;
  };
  const ordered = (): readonly string[] => {
    if (order) return order;
    const byDistance = [...best].map(([dst, b]) => [dst, b.d1] as const).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    return (order = byDistance.map(([dst]) => dst));
  };
  return { best, way, settle, takeChanged, takeRerouted, ordered, waysTo };
}
