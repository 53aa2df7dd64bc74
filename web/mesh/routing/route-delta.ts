import { MAX_ROUTE_ENTRIES } from '../../../protocol/peer-routing-limits.ts';

type Entry = readonly [string, number];

/** Announcement order: fewer hops first, then the lower id (as `announcementFor` sorts). */
const before = (a: Entry, b: Entry) => a[1] < b[1] || (a[1] === b[1] && a[0] < b[0]);

/** What changed in one neighbour's list: entries added or with other hops, and peers withdrawn. */
export interface ListDelta {
  add: Array<[string, number]>;
  drop: string[];
}

/**
 * Brings the list one neighbour holds (`told`: exactly the list we announced last, at most
 * MAX_ROUTE_ENTRIES, nearest first) up to date in place, from the peers whose entry for it may
 * have changed since (`entryFor` gives the entry now), and says what changed. Costs the changed
 * peers, not the list: a new entry enters if the list has room or it is nearer than the list's
 * last entry (which then leaves). Undefined, with `told` as it was, when a full list loses an
 * entry or one falls behind its last: a peer the cap cut may then belong in it, which only the
 * whole list shows.
 */
export function updateList(told: Map<string, number>, changed: Iterable<string>, entryFor: (dst: string) => number | undefined): ListDelta | undefined {
  /** Each touched peer's entry before this update (undefined: it had none). */
  const was = new Map<string, number | undefined>();
  const set = (dst: string, h: number | undefined) => {
    if (!was.has(dst)) was.set(dst, told.get(dst));
    if (h === undefined) told.delete(dst);
    else told.set(dst, h);
  };
  let edge: Entry | undefined;
  /** The list's last entry (asked for only when the list is full). */
  const last = (): Entry => {
    if (edge) return edge;
    for (const e of told) if (!edge || before(edge, e)) edge = e;
    return edge!;
  };
  for (const dst of changed) {
    const e = entryFor(dst);
    const t = told.get(dst);
    if (e === t) continue;
    const full = told.size >= MAX_ROUTE_ENTRIES;
    if (t !== undefined) {
      if (full && (e === undefined || before(last(), [dst, e]))) {
        for (const [d, h] of was) if (h === undefined) told.delete(d); else told.set(d, h);
        return undefined;
      }
      // The last entry moved, or this one now comes after it (the list had room).
      if (edge && (edge[0] === dst || (e !== undefined && before(edge, [dst, e])))) edge = undefined;
      set(dst, e);
    } else if (e !== undefined && (!full || before([dst, e], last()))) {
      if (full) set(last()[0], undefined);
      set(dst, e);
      edge = undefined;
    }
  }
  const delta: ListDelta = { add: [], drop: [] };
  for (const [dst, h] of was) {
    const now = told.get(dst);
    if (now === h) continue;
    if (now === undefined) delta.drop.push(dst);
    else delta.add.push([dst, now]);
  }
  return delta;
}
