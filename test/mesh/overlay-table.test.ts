import { describe, expect, it, vi } from 'vitest';
import { MAX_ROUTE_ENTRIES, MAX_ROUTE_HOPS } from '../../protocol/index.ts';
import { createOverlayTable, type NextHop } from '../../web/mesh/routing/overlay-table.ts';
import { seeded } from '../../bench/lib/seeded.ts';

/**
 * The table as it was computed before it was kept incrementally: from scratch, from every
 * neighbour's whole announcement. The incremental table must always answer the same.
 */
function reference(me: string, heard: ReadonlyMap<string, ReadonlyMap<string, number>>) {
  const ways = (dst: string): NextHop[] => {
    const out: NextHop[] = [];
    for (const [n, entries] of heard) {
      if (n === dst) out.push({ via: n, hops: 1 });
      else if (dst !== me && entries.has(dst) && entries.get(dst)! + 1 <= MAX_ROUTE_HOPS) out.push({ via: n, hops: entries.get(dst)! + 1 });
    }
    return out.sort((a, b) => a.hops - b.hops || (a.via < b.via ? -1 : 1));
  };
  const dsts = () => new Set([...heard.keys(), ...[...heard.values()].flatMap((e) => [...e.keys()])].filter((d) => d !== me));
  const announcementFor = (to: string) => {
    const list: Array<[string, number]> = [];
    for (const dst of dsts()) {
      if (dst === to) continue;
      const d = ways(dst).find((w) => w.via !== to)?.hops ?? Infinity;
      const d1 = ways(dst)[0]!.hops;
      const told = ways(dst)[0]!.via === to ? d : d1;
      if (told <= MAX_ROUTE_HOPS - 1) list.push([dst, told]);
    }
    return list.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_ROUTE_ENTRIES);
  };
  return { ways, dsts, announcementFor };
}

describe('incremental overlay table', () => {
  it('answers as a table recomputed from scratch, through announcements, deltas and links going', () => {
    const rand = seeded(18);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const ids = Array.from({ length: 24 }, (_, i) => `p${i}`);
    const t = createOverlayTable(() => 'me');
    /** What each linked neighbour announced, as the table should hold it (valid entries only). */
    const heard = new Map<string, Map<string, number>>();
    const linked = new Set<string>();
    const clean = (from: string, m: Map<string, number>) => new Map([...m].filter(([id, h]) => id !== 'me' && id !== from && h >= 1 && h < MAX_ROUTE_HOPS));
    const randomEntries = () => {
      const m = new Map<string, number>();
      for (let k = Math.floor(rand() * 10); k > 0; k--) m.set(pick([...ids, 'me']), 1 + Math.floor(rand() * (MAX_ROUTE_HOPS - 1)));
      return m;
    };
    for (let step = 0; step < 600; step++) {
      const n = pick(ids);
      const before = new Map(ids.map((d) => [d, t.best(d)]));
      const op = rand();
      if (op < 0.15) {
        t.linkUp(n);
        linked.add(n);
      } else if (op < 0.25) {
        t.linkDown(n);
        linked.delete(n);
        heard.delete(n);
      } else if (op < 0.55 || !heard.has(n)) {
        const m = randomEntries();
        t.announce(n, [...m]);
        if (linked.has(n)) heard.set(n, clean(n, m));
      } else {
        const add = randomEntries();
        const drop = [...heard.get(n)!.keys()].filter(() => rand() < 0.3);
        expect(t.applyDelta(n, [...add], drop)).not.toBeUndefined();
        const m = heard.get(n)!;
        for (const d of drop) m.delete(d);
        for (const [d, h] of clean(n, add)) m.set(d, h);
      }
      const ref = reference('me', heard);
      const rerouted = t.takeRerouted();
      for (const d of ids) {
        expect(t.nextHops(d), `${d} after step ${step}`).toEqual(ref.ways(d));
        expect(t.best(d)).toEqual(ref.ways(d)[0]);
        // Every peer whose best way changed is reported, so its route re-picks.
        if (JSON.stringify(before.get(d)) !== JSON.stringify(t.best(d))) expect(rerouted.has(d), `${d} rerouted at step ${step}`).toBe(true);
      }
      for (const to of linked) expect(t.announcementFor(to)).toEqual(ref.announcementFor(to));
    }
  });

  it('changes an announcement by delta: adds, changes hops, withdraws; refuses one with nothing to change or beyond the cap', () => {
    const t = createOverlayTable(() => 'a');
    t.linkUp('b');
    // No whole announcement yet: a delta has nothing to apply to.
    expect(t.applyDelta('b', [['c', 1]], [])).toBeUndefined();
    t.announce('b', [['c', 1], ['d', 2]]);
    expect(t.takeRerouted()).toEqual(new Set(['b', 'c', 'd']));
    expect(t.applyDelta('b', [['d', 1], ['e', 3]], ['c'])).toBe(true);
    expect(t.nextHops('c')).toEqual([]);
    expect(t.best('d')).toEqual({ via: 'b', hops: 2 });
    expect(t.best('e')).toEqual({ via: 'b', hops: 4 });
    expect(t.takeRerouted()).toEqual(new Set(['c', 'd', 'e']));
    // The same again changes nothing; a withdrawal of an unknown peer neither.
    expect(t.applyDelta('b', [['d', 1]], ['zz'])).toBe(false);
    // Our own id and the announcer are never destinations; bad hops are skipped.
    expect(t.applyDelta('b', [['a', 1], ['b', 1], ['f', 0], ['g', MAX_ROUTE_HOPS]], [])).toBe(false);
    // Not a neighbour: nothing to change.
    expect(t.applyDelta('x', [['c', 1]], [])).toBeUndefined();
    // Deltas adding up past one announcement's cap: the state cannot be the sender's; it is forgotten until a whole one.
    const many = Array.from({ length: MAX_ROUTE_ENTRIES }, (_, i) => [`q${i}`, 2] as const);
    expect(t.applyDelta('b', many, [])).toBeUndefined();
    expect(t.best('d')).toBeUndefined();
    expect(t.best('q0')).toBeUndefined();
    // b itself stays a neighbour that announced (a relay).
    expect(t.best('b')).toEqual({ via: 'b', hops: 1 });
    expect(t.announce('b', [['d', 1]])).toBe(true);
    expect(t.best('d')).toEqual({ via: 'b', hops: 2 });
  });

  it('cuts an announcement at the entry cap, nearest first, and says what one neighbour is told about one peer', () => {
    const t = createOverlayTable(() => 'a');
    t.linkUp('b');
    t.linkUp('c');
    t.announce('b', Array.from({ length: 200 }, (_, i) => [`x${i}`, 1] as const));
    t.announce('c', [...Array.from({ length: 100 }, (_, i) => [`y${i}`, 2] as const), ['x0', 2]]);
    t.linkUp('d');
    t.announce('d', []);
    // To d: b, c, 200 peers at 2 hops, then the nearest of the 100 at 3 up to the cap.
    expect(t.announcementFor('d')).toHaveLength(MAX_ROUTE_ENTRIES);
    expect(t.announcementFor('d').at(-1)![1]).toBe(3);
    // Split horizon per peer: x0 is best through b (2 hops); told to b, it is the way through c (3).
    expect(t.entryFor('c', 'x0')).toBe(2);
    expect(t.entryFor('b', 'x0')).toBe(3);
    expect(t.entryFor('b', 'x1')).toBeUndefined();
    expect(t.entryFor('b', 'b')).toBeUndefined();
  });
  /** `n` neighbours announcing `perNeighbour` random entries each (1 to MAX_ROUTE_HOPS - 1 hops) out of `peers` ids. */
  function crowded(n: number, perNeighbour: number, peers: number, seed: number) {
    const rand = seeded(seed);
    const t = createOverlayTable(() => 'me');
    const heard = new Map<string, Map<string, number>>();
    const entries = () => {
      const m = new Map<string, number>();
      while (m.size < perNeighbour) m.set(`q${Math.floor(rand() * peers)}`, 1 + Math.floor(rand() * (MAX_ROUTE_HOPS - 1)));
      return m;
    };
    for (let i = 0; i < n; i++) {
      const m = entries();
      t.linkUp(`n${i}`);
      t.announce(`n${i}`, [...m]);
      heard.set(`n${i}`, m);
    }
    return { t, heard, rand, entries };
  }

  it('announces the nearest MAX_ROUTE_ENTRIES when it knows more peers than that, as a table recomputed from scratch', () => {
    const { t, heard, rand, entries } = crowded(6, MAX_ROUTE_ENTRIES, 900, 7);
    for (let step = 0; step < 40; step++) {
      const from = `n${Math.floor(rand() * 6)}`;
      const m = heard.get(from)!;
      const drop = [...m.keys()].filter(() => rand() < 0.2);
      for (const d of drop) m.delete(d);
      const add = [...entries()].filter(([d]) => !m.has(d)).slice(0, MAX_ROUTE_ENTRIES - m.size);
      for (const [d, h] of add) m.set(d, h);
      expect(t.applyDelta(from, add, drop)).not.toBeUndefined();
      const ref = reference('me', heard);
      for (const to of heard.keys()) expect(t.announcementFor(to), `to ${to} after step ${step}`).toEqual(ref.announcementFor(to));
    }
  });

  it('sorts its table once for the announcements to all neighbours, not once per neighbour', () => {
    const { t } = crowded(16, MAX_ROUTE_ENTRIES, 6000, 8);
    const known = new Set([...Array(6000).keys()].map((i) => `q${i}`).filter((d) => t.best(d))).size;
    expect(known).toBeGreaterThan(2000);
    const sort = vi.spyOn(Array.prototype, 'sort');
    try {
      for (let i = 0; i < 16; i++) expect(t.announcementFor(`n${i}`)).toHaveLength(MAX_ROUTE_ENTRIES);
      // Elements sorted: the table once, then each list of about MAX_ROUTE_ENTRIES (was 16 × the table).
      const sorted = sort.mock.contexts.reduce<number>((n, a) => n + (a as unknown[]).length, 0);
      expect(sorted).toBeLessThan(known + 16 * 2 * MAX_ROUTE_ENTRIES);
    } finally {
      sort.mockRestore();
    }
  });
});
