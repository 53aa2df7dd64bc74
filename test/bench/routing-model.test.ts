import { describe, expect, it } from 'vitest';
import { RoutingModel } from '../../bench/overlay-sim/routing-model.ts';

describe('routing model (overlay-sim)', () => {
  it('runs the mesh\'s routing on a graph: ways form over announcements, and go with a link', async () => {
    const m = new RoutingModel();
    // A line a - b - c - d - e: e is 4 hops from a, the most a routed payload may take.
    for (const [x, y] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e']] as const) m.linkUp(x, y);
    expect(await m.drain()).toBe(true);
    expect(m.route('a', 'd')).toEqual({ via: 'b', hops: 3 });
    expect(m.route('e', 'b')).toEqual({ via: 'd', hops: 3 });
    // Entries are announced within MAX_ROUTE_HOPS - 1: a learns of e only at 4 hops, which is still a way.
    expect(m.route('a', 'e')).toEqual({ via: 'b', hops: 4 });
    const before = { ...m.counts };
    expect(before.messages).toBeGreaterThan(0);
    expect(m.time).toBeGreaterThan(0);

    m.linkDown('b', 'c');
    expect(await m.drain()).toBe(true);
    expect(m.route('a', 'd')).toBeUndefined();
    expect(m.route('a', 'b')).toEqual({ via: 'b', hops: 1 });
    // The withdrawals crossed the links that were left.
    expect(m.counts.messages).toBeGreaterThan(before.messages);

    // A shortcut a - d: d is one hop away, e two.
    m.linkUp('a', 'd');
    expect(await m.drain()).toBe(true);
    expect(m.route('a', 'e')).toEqual({ via: 'd', hops: 2 });
    expect(m.route('b', 'e')).toEqual({ via: 'a', hops: 3 });
  });
});
