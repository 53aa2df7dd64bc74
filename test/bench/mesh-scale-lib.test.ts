import { describe, expect, it } from 'vitest';
import { callRows, summarizeCalls, tierGroup, type CallOutcome } from '../../bench/lib/call-outcomes.ts';
import { randomPairs, seeded } from '../../bench/lib/seeded.ts';
import { OverlayModel } from '../../bench/overlay-sim/overlay-model.ts';

describe('call outcomes', () => {
  it('groups by the tier string the result carried, with hops when given', () => {
    expect(tierGroup({ ok: true, ms: 1, tier: 'direct' })).toBe('direct');
    expect(tierGroup({ ok: true, ms: 1, tier: 'routed', hops: 2 })).toBe('routed (2 hops)');
    expect(tierGroup({ ok: true, ms: 1, tier: 'routed', hops: 1 })).toBe('routed (1 hop)');
    expect(tierGroup({ ok: true, ms: 1 })).toBe('unknown');
  });

  it('counts answered and failed, failure reasons, latency per group and the server share', () => {
    const calls: CallOutcome[] = [
      ...[10, 20, 30, 40].map((ms): CallOutcome => ({ ok: true, ms, tier: 'direct' })),
      { ok: true, ms: 100, tier: 'fallback' },
      { ok: true, ms: 7, tier: 'routed', hops: 2 },
      { ok: false, ms: 1, error: 'unknown-peer' },
      { ok: false, ms: 1, error: 'unknown-peer' },
      { ok: false, ms: 9, error: 'timeout' },
    ];
    const s = summarizeCalls(calls);
    expect(s).toMatchObject({ calls: 9, answered: 6, failed: 3, failures: [['unknown-peer', 2], ['timeout', 1]] });
    expect(s.serverShare).toBeCloseTo(1 / 6);
    expect(s.groups).toEqual([
      { group: 'direct', calls: 4, p50: 20, p99: 40, max: 40 },
      { group: 'fallback', calls: 1, p50: 100, p99: 100, max: 100 },
      { group: 'routed (2 hops)', calls: 1, p50: 7, p99: 7, max: 7 },
    ]);
    const rows = callRows(s, 'calls');
    expect(rows[0]).toMatchObject({ what: 'calls', n: 9, share: '66.7 % answered', notes: '6 answered, 3 failed: unknown-peer ×2, timeout ×1' });
    expect(rows.map((r) => r.what)).toEqual(['calls', '  tier direct', '  tier fallback', '  tier routed (2 hops)', '  needed the server (fallback tier)']);
    expect(rows[4]).toMatchObject({ share: '16.7 % of answered' });
  });

  it('reports no server share when nothing was answered', () => {
    const s = summarizeCalls([{ ok: false, ms: 1, error: 'x' }]);
    expect(s.serverShare).toBeNaN();
    expect(callRows(s, 'c').at(-1)).toMatchObject({ share: '' });
  });
});

describe('seeded pairs', () => {
  it('repeats for a seed and never pairs a peer with itself', () => {
    const a = randomPairs(5, 500, seeded(7));
    expect(randomPairs(5, 500, seeded(7))).toEqual(a);
    expect(a.every(([x, y]) => x !== y && x >= 0 && x < 5 && y >= 0 && y < 5)).toBe(true);
    // Every ordered pair of 5 peers shows up in 500 draws.
    expect(new Set(a.map((p) => p.join())).size).toBe(20);
    expect(() => randomPairs(1, 1, seeded(1))).toThrow(/n >= 2/);
  });
});

describe('overlay model', () => {
  const fixed = () => 0;

  it('links a newcomer to the listed peers up to its cap; a full peer evicts its oldest link', () => {
    const m = new OverlayModel((id) => (id === 'hub' ? 2 : 8), fixed);
    m.apply({ t: 'welcome', peer: 'hub', listed: [] });
    m.apply({ t: 'welcome', peer: 'a', listed: ['hub'] });
    m.apply({ t: 'welcome', peer: 'b', listed: ['hub'] });
    m.apply({ t: 'welcome', peer: 'c', listed: ['hub', 'a'] });
    // hub (cap 2) took a, b, then c evicted a, its oldest.
    expect([...m.peers.get('hub')!.links.keys()].sort()).toEqual(['b', 'c']);
    expect(m.peers.get('a')!.links.has('hub')).toBe(false);
    expect(m.evictions).toBe(1);
    expect(m.stats(4).connected).toBe(true);
  });

  it('repairs after a leave from known peers, up to the overlay degree, and not after an eviction', () => {
    const m = new OverlayModel(() => 8, fixed);
    for (const p of ['a', 'b', 'c', 'd']) m.apply({ t: 'welcome', peer: p, listed: [] });
    m.apply({ t: 'welcome', peer: 'x', listed: ['a'] });
    m.apply({ t: 'joined', to: 'x', ids: ['b', 'c'] });
    m.apply({ t: 'gone', peer: 'a' });
    expect(m.peers.get('x')!.links.size).toBe(0);
    expect(m.stats(8).connected).toBe(false);
    m.apply({ t: 'left', to: 'x', ids: ['a'] });
    // Known and present: b and c (d was never told to x).
    expect([...m.peers.get('x')!.links.keys()].sort()).toEqual(['b', 'c']);
  });
});
