import { describe, expect, it } from 'vitest';
import { createOverlayTable } from '../../web/mesh/routing/overlay-table.ts';
import { createRouteAnnouncer } from '../../web/mesh/routing/route-announcer.ts';
import { updateList } from '../../web/mesh/routing/route-delta.ts';
import { MAX_ROUTE_ENTRIES } from '../../protocol/index.ts';
import { seeded } from '../../bench/lib/seeded.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { overlayNetwork as network, type Wire } from './overlay-network.ts';

const isDelta = (w: Wire) => w.value.type === 'routes' && !('peers' in w.value);
// A ring of six with two chords: several ways to most peers.
const EDGES: Array<[string, string]> = [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'a'], ['a', 'd'], ['b', 'e']];

/**
 * A settled network where b-c is then cut and b's delta telling a about it gets `fate` (lost, or
 * held back until `release()`), everything else delivered.
 */
async function cutWithDeltaBToA(fate: 'drop' | 'hold') {
  let armed = false;
  const n = network(EDGES, { tamper: (w) => (armed && isDelta(w) && w.from === 'b' && w.to === 'a' ? ((armed = false), fate) : undefined) });
  await n.settle();
  armed = true;
  n.cut('b', 'c');
  await n.settle();
  expect(armed).toBe(false);
  return n;
}

/** The same changes on a network of whole announcements only: what every table must end up as. */
async function expected(changes: (n: ReturnType<typeof network>) => void) {
  const n = network(EDGES, { old: ['a', 'b', 'c', 'd', 'e', 'f'] });
  await n.settle();
  changes(n);
  await n.settle();
  return n.ways();
}

describe('route announcements by delta', () => {
  it('sends each neighbour one whole announcement, then only what changed for it, and ends with the tables whole ones give', async () => {
    const n = network(EDGES);
    await n.settle();
    const first = n.wire.filter((w) => w.value.type === 'routes');
    // One whole announcement per direction of each link (each says it takes deltas), deltas after.
    expect(first.filter((w) => !isDelta(w)).map((w) => `${w.from}>${w.to}`).sort()).toEqual(EDGES.flatMap(([a, b]) => [`${a}>${b}`, `${b}>${a}`]).sort());
    expect(first.filter((w) => !isDelta(w)).every((w) => w.value.deltas === true && typeof w.value.seq === 'number')).toBe(true);
    n.wire.length = 0;
    n.cut('a', 'd');
    n.cut('c', 'd');
    await n.settle();
    const after = n.wire.filter((w) => w.value.type === 'routes');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every(isDelta)).toBe(true);
    // A withdrawal: d is no longer reached through c, and c tells b so.
    expect(after.some((w) => w.from === 'c' && (w.value.drop as string[]).includes('d'))).toBe(true);
    expect(n.ways()).toEqual(await expected((x) => (x.cut('a', 'd'), x.cut('c', 'd'))));
    // Deltas are small: no delta repeats what its receiver already holds.
    const sizes = after.map((w) => (w.value.add as unknown[]).length + (w.value.drop as unknown[]).length);
    expect(Math.max(...sizes)).toBeLessThan(6);
  });

  it('works with a peer that announces whole tables only: it gets whole ones, and routes through it and to it hold', async () => {
    const n = network(EDGES, { old: ['d'] });
    await n.settle();
    const toD = n.wire.filter((w) => w.to === 'd' && w.value.type === 'routes');
    const fromD = n.wire.filter((w) => w.from === 'd' && w.value.type === 'routes');
    expect(toD.length).toBeGreaterThan(0);
    expect(fromD.every((w) => !('seq' in w.value) && !('deltas' in w.value) && Array.isArray(w.value.peers))).toBe(true);
    n.wire.length = 0;
    n.cut('a', 'b');
    n.cut('e', 'f');
    await n.settle();
    // The older peer is never sent a delta; the others still send each other deltas.
    expect(n.wire.filter((w) => w.to === 'd' && isDelta(w))).toEqual([]);
    expect(n.wire.filter((w) => w.to === 'd' && w.value.type === 'routes').length).toBeGreaterThan(0);
    expect(n.wire.some((w) => w.to !== 'd' && isDelta(w))).toBe(true);
    expect(n.ways()).toEqual(await expected((x) => (x.cut('a', 'b'), x.cut('e', 'f'))));
    expect(n.nodes.get('a')!.best('e')).toMatchObject({ via: 'd', hops: 2 });
  });

  it('repairs a table after a lost delta: the next one shows the gap, and a whole announcement is asked for and sent', async () => {
    const n = await cutWithDeltaBToA('drop');
    n.wire.length = 0;
    // Another change makes b send a again: a sees the gap and asks for a whole announcement.
    n.cut('b', 'e');
    await n.settle();
    const asked = n.wire.find((w) => w.from === 'a' && w.to === 'b' && w.value.resync === true);
    expect(asked).toBeDefined();
    expect(n.wire.some((w) => w.from === 'b' && w.to === 'a' && Array.isArray(w.value.peers))).toBe(true);
    expect(n.ways()).toEqual(await expected((x) => (x.cut('b', 'c'), x.cut('b', 'e'))));
  });

  it('repairs a table after deltas arrive out of order', async () => {
    const n = await cutWithDeltaBToA('hold');
    // The link comes back: b's next delta to a says c is at one hop again, and overtakes the held one.
    n.link('b', 'c');
    await n.settle();
    n.release();
    await n.settle();
    expect(n.nodes.get('a')!.best('c')).toMatchObject({ via: 'b', hops: 2 });
    expect(n.ways()).toEqual(await expected(() => undefined));
  });

  it('drops malformed deltas and ones from a peer we never told we take them, and asks for the whole table', () => {
    const { clock } = createFakeClock();
    const sent: Array<{ to: string; message: Record<string, unknown> }> = [];
    const table = createOverlayTable(() => 'a');
    const make = (deltas: boolean) => createRouteAnnouncer({ table, deltas, now: clock.now, send: async (to, message) => void sent.push({ to, message }), schedule: () => undefined });
    table.linkUp('b');
    const old = make(false);
    expect(old.receive('b', { v: 1, type: 'routes', peers: [{ peer: 'c', hops: 1 }], deltas: true, seq: 4 })).toBe(true);
    // Taking no deltas (as a peer before them): a delta is dropped, nothing asked.
    expect(old.receive('b', { v: 1, type: 'routes', seq: 5, add: [{ peer: 'd', hops: 1 }], drop: [] })).toBe(false);
    expect(table.best('d')).toBeUndefined();
    const fresh = make(true);
    expect(fresh.receive('b', { v: 1, type: 'routes', peers: [{ peer: 'c', hops: 1 }], deltas: true, seq: 4 })).toBe(false);
    expect(fresh.receive('b', { v: 1, type: 'routes', seq: 5, add: [{ peer: 'd', hops: 1 }], drop: ['c'] })).toBe(true);
    expect(table.best('d')).toEqual({ via: 'b', hops: 2 });
    expect(table.best('c')).toBeUndefined();
    for (const bad of [
      { v: 1, type: 'routes', seq: 6, add: [{ peer: 'e', hops: 9 }], drop: [] },
      { v: 1, type: 'routes', seq: -1, add: [], drop: [] },
      { v: 1, type: 'routes', seq: 6, add: [], drop: 'c' },
      { v: 1, type: 'routes', seq: 6, add: [], drop: [], resync: 'yes' },
      { v: 1, type: 'routes', peers: [], seq: 1.5 },
    ]) expect(fresh.receive('b', bad)).toBe(false);
    // Out of step now: even a well-formed next delta is ignored until a whole announcement.
    expect(fresh.receive('b', { v: 1, type: 'routes', seq: 6, add: [{ peer: 'e', hops: 1 }], drop: [] })).toBe(false);
    expect(table.best('e')).toBeUndefined();
    fresh.round();
    expect(sent.find((s) => s.to === 'b')!.message).toMatchObject({ type: 'routes', resync: true, deltas: true });
    expect(fresh.receive('b', { v: 1, type: 'routes', peers: [{ peer: 'e', hops: 1 }], deltas: true, seq: 9 })).toBe(true);
    expect(fresh.receive('b', { v: 1, type: 'routes', seq: 10, add: [{ peer: 'f', hops: 2 }], drop: [] })).toBe(true);
    expect(table.best('f')).toEqual({ via: 'b', hops: 3 });
  });

  it('keeps a neighbour\'s view equal to the whole announcement beyond the entry cap', () => {
    const { clock } = createFakeClock();
    const ta = createOverlayTable(() => 'a');
    const tb = createOverlayTable(() => 'b');
    let toB: ReturnType<typeof createRouteAnnouncer>;
    const fromA = createRouteAnnouncer({ table: ta, deltas: true, now: clock.now, send: async (to, m) => void (to === 'b' && toB.receive('a', m)), schedule: () => undefined });
    toB = createRouteAnnouncer({ table: tb, deltas: true, now: clock.now, send: async () => undefined, schedule: () => undefined });
    for (const n of ['b', 'x', 'y']) ta.linkUp(n);
    tb.linkUp('a');
    // b says it takes deltas.
    fromA.receive('b', { v: 1, type: 'routes', peers: [], deltas: true, seq: 0 });
    const view = () => [...tb.snapshot()].filter(([d]) => d !== 'a').map(([d, b]) => [d, b.d1 - 1]).sort((p, q) => (p[0]! < q[0]! ? -1 : 1));
    const whole = () => ta.announcementFor('b').sort((p, q) => (p[0] < q[0] ? -1 : 1));
    ta.announce('x', Array.from({ length: 200 }, (_, i) => [`x${i}`, 1] as const));
    fromA.round();
    ta.announce('y', Array.from({ length: 150 }, (_, i) => [`y${i}`, 1] as const));
    fromA.round();
    expect(view()).toEqual(whole());
    // x's peers at 2 push y's out of the cut; then x withdraws many and y's come back in.
    ta.announce('x', Array.from({ length: 50 }, (_, i) => [`x${i}`, 1] as const));
    fromA.round();
    expect(view()).toEqual(whole());
    ta.announce('y', Array.from({ length: 10 }, (_, i) => [`y${i}`, 1] as const));
    fromA.round();
    expect(view()).toEqual(whole());
    expect(view()).toHaveLength(2 + 50 + 10);
  });

  it('works out the next announcement from the changed peers alone, also when the entry cap cuts it', () => {
    const rand = seeded(7);
    const t = createOverlayTable(() => 'me');
    const ns = ['n0', 'n1', 'n2', 'to'];
    for (const n of ns) t.linkUp(n);
    const pool = Array.from({ length: 500 }, (_, i) => `p${i}`);
    const entries = () => pool.filter(() => rand() < 0.5).slice(0, MAX_ROUTE_ENTRIES).map((p) => [p, 1 + Math.floor(rand() * 3)] as const);
    for (const n of ns) t.announce(n, entries());
    t.takeChanged();
    let told = new Map(t.announcementFor('to'));
    let incremental = 0;
    for (let step = 0; step < 300; step++) {
      const n = ns[Math.floor(rand() * ns.length)]!;
      if (rand() < 0.2) t.announce(n, entries());
      else t.applyDelta(n, Array.from({ length: 1 + Math.floor(rand() * 6) }, () => [pool[Math.floor(rand() * pool.length)]!, 1 + Math.floor(rand() * 3)] as const), [pool[Math.floor(rand() * pool.length)]!]);
      const before = new Map(told);
      const delta = updateList(told, t.takeChanged(), (dst) => t.entryFor('to', dst));
      const whole = t.announcementFor('to');
      const byId = (a: readonly [string, number], b: readonly [string, number]) => (a[0] < b[0] ? -1 : 1);
      if (delta) {
        incremental++;
        expect([...told].sort(byId), `step ${step}`).toEqual([...whole].sort(byId));
        // The delta is exactly the difference, and applied to the old list gives the new one.
        for (const d of delta.drop) before.delete(d);
        for (const [d, h] of delta.add) before.set(d, h);
        expect([...before].sort(byId)).toEqual([...whole].sort(byId));
      } else expect(told).toEqual(before);
      told = new Map(whole);
    }
    // The list is cut at the cap throughout, and most rounds needed only the changed peers.
    expect(told.size).toBe(MAX_ROUTE_ENTRIES);
    expect(incremental).toBeGreaterThan(150);
  });
});
