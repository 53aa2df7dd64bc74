import { MAX_ROUTE_ENTRIES } from '../../../protocol/peer-routing-limits.ts';

type Entry = readonly [string, number];

/** Announcement order: fewer hops first, then the lower id (as `announcementFor` sorts). */
const before = (a: Entry, b: Entry) => a[1] < b[1] || (a[1] === b[1] && a[0] < b[0]);

/**
 * The next announcement to one neighbour, from the one it holds (`told`: exactly the list we
 * announced last, nearest first, at most MAX_ROUTE_ENTRIES) and the peers whose entry for it may
 * have changed since (`entryFor` gives the entry now). Costs the changed peers, not the table:
 * a new entry enters if the list has room or it is nearer than the list's last entry (which
 * then leaves). Undefined when a full list loses an entry, or one falls behind its last: a
 * peer cut by the cap may then belong in it, which only the whole list shows.
 */
export function nextAnnouncement(told: ReadonlyMap<string, number>, changed: Iterable<string>, entryFor: (dst: string) => number | undefined): Map<string, number> | undefined {
  const next = new Map(told);
  let edge: Entry | undefined;
  /** The list's last entry (only asked for when the list is full). */
  const last = (): Entry => {
    if (edge) return edge;
    for (const e of next) if (!edge || before(edge, e)) edge = e;
    return edge!;
  };
  for (const dst of changed) {
    const e = entryFor(dst);
    const t = next.get(dst);
    if (e === t) continue;
    const full = next.size >= MAX_ROUTE_ENTRIES;
    if (t !== undefined) {
      if (full && (e === undefined || before(last(), [dst, e]))) return undefined;
      if (edge && (edge[0] === dst || (e !== undefined && before(edge, [dst, e])))) edge = undefined;
      if (e === undefined) next.delete(dst);
      else next.set(dst, e);
    } else if (e !== undefined) {
      if (!full) {
        next.set(dst, e);
        edge = undefined;
      } else if (before([dst, e], last())) {
        next.delete(last()[0]);
        next.set(dst, e);
        edge = undefined;
      }
    }
  }
  return next;
}
