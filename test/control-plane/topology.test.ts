import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { createRegistry } from '../../server/registry/registry.ts';
import { createTopology } from '../../server/registry/topology.ts';
import type { Link } from '../../protocol/index.ts';
import type { Store } from '../../server/store/store.ts';

const A = 'a'.repeat(8);
const B = 'b'.repeat(8);
const C = 'c'.repeat(8);
const open = (peer: string, rttMs?: number): Link => ({ peer, state: 'open', tier: 'direct', ...(rttMs === undefined ? {} : { rttMs }) });

function setup() {
  let t = 1_000;
  const now = () => t;
  const base = createMemoryStore(now);
  let puts = 0;
  const store: Store = { ...base, put: (...args) => (puts++, base.put(...args)) };
  const topology = createTopology({ store, registry: createRegistry({ store, now }), now });
  const edges = async () => (await topology.view('m', [])).edges.map((e) => `${e.a}-${e.b}:${e.state}:${e.reportedBy === A ? 'A' : e.reportedBy === B ? 'B' : 'C'}`).sort();
  return { topology, edges, tick: (ms: number) => (t += ms), puts: () => puts };
}

describe('topology from link reports', () => {
  it('stores one entry per report, however many links it names', async () => {
    const t = setup();
    await t.topology.report('m', A, Array.from({ length: 50 }, (_, i) => open(`p${String(i).padStart(7, '0')}`)));
    expect(t.puts()).toBe(1);
    expect((await t.edges()).length).toBe(50);
  });

  it('keeps the freshest report per pair, and a peer\'s new report replaces its old one', async () => {
    const t = setup();
    await t.topology.report('m', A, [open(B, 5), open(C)]);
    t.tick(10);
    await t.topology.report('m', B, [open(A, 7)]);
    expect(await t.edges()).toEqual([`${A}-${B}:open:B`, `${A}-${C}:open:A`]);
    t.tick(10);
    await t.topology.report('m', A, [{ peer: B, state: 'closed', tier: 'direct' }]);
    // A's fresher report closes A-B; A no longer names C, so that edge is gone.
    expect(await t.edges()).toEqual([`${A}-${B}:closed:A`]);
  });

  it('reports age out after the ttl', async () => {
    const t = setup();
    await t.topology.report('m', A, [open(B)]);
    t.tick(60_001);
    expect(await t.edges()).toEqual([]);
  });
});
