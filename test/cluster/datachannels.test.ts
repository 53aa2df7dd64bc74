import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopologyEdge, TopologyNode } from '../../protocol/index.ts';
import { waitFor as poll } from '../helpers/wait-for.ts';
import { linksOpen, seesPeers, startPeer, stopPeers, type TestPeer } from '../mesh/harness.ts';
import { getJson, localPeerCount, startCluster, type TestCluster } from './cluster-harness.ts';
import { idFor } from '../helpers/test-identity.ts';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(2);
});
afterAll(async () => {
  await stopPeers();
  await cluster?.stop();
});

type Topology = { nodes: TopologyNode[]; edges: TopologyEdge[] };
const byPeer = (a: { peerId: string }, b: { peerId: string }) => a.peerId.localeCompare(b.peerId);
const pair = (e: TopologyEdge) => `${e.a}|${e.b}`;

describe('Node mesh peers on different instances', () => {
  it('open DataChannels through cross-instance signaling, run calls on them, and see one topology', { timeout: 60_000 }, async () => {
    const [a, b] = cluster.servers as [typeof cluster.servers[0], typeof cluster.servers[0]];
    const opts = { linkReportMs: 500 };
    const n1 = await startPeer(a, 'n1', opts);
    const n2 = await startPeer(b, 'n2', opts);
    const n3 = await startPeer(b, 'n3', opts);
    const ps: TestPeer[] = [n1, n2, n3];
    expect([await localPeerCount(a), await localPeerCount(b)]).toEqual([1, 2]);
    // n2 and n3 joined on B after n1 on A: the offers, answers and candidates to n1 crossed Redis.
    await Promise.all(ps.map((p) => linksOpen(p.mesh, ps.filter((q) => q !== p).map((q) => q.id), 'direct')));

    expect(await n1.mesh.call(idFor('n2'), 'echo', { across: 'A→B' })).toMatchObject({ output: { across: 'A→B' }, tier: 'direct' });
    const chunks: unknown[] = [];
    const streamed = await n3.mesh.call(idFor('n1'), 'stream', { n: 5 }, { stream: true, onChunk: (c) => chunks.push(c) });
    expect(streamed).toMatchObject({ output: { chunks: 5 }, tier: 'direct' });
    expect(chunks).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    const big = 'x'.repeat(300_000);
    expect(await n2.mesh.call(idFor('n1'), 'size', big)).toMatchObject({ output: 300_000, tier: 'direct' });
    expect(n1.host.runs).toEqual(['stream', 'size']);

    // Every instance answers with the same topology: all peers, and the three links with RTTs. A
    // pair may first be reported on the routed tier (over the third peer) while its own DataChannel
    // opens; a peer's next report comes at most 5 s later (docs/architecture.md "Link reports").
    const complete = (t: Topology) => t.nodes.length === 3 && t.edges.length === 3 && t.edges.every((e) => e.state === 'open' && e.tier === 'direct' && e.rttMs !== undefined);
    const fromA = await poll(async () => {
      const t = await getJson<Topology>(a, '/api/topology');
      return complete(t) ? t : undefined;
    }, 30_000, 'a complete topology on instance A');
    const fromB = await getJson<Topology>(b, '/api/topology');
    // `credential` and `name` label a peer only on the instance that holds its socket (docs/hub.md).
    const unlabelled = (t: Topology) => t.nodes.map(({ credential: _c, name: _n, ...rest }) => rest).sort(byPeer);
    expect(unlabelled(fromB)).toEqual(unlabelled(fromA));
    expect([...fromA.nodes].sort(byPeer).map((n) => [n.peerId, n.connected])).toEqual([idFor('n1'), idFor('n2'), idFor('n3')].sort().map((id) => [id, true]));
    const shape = (t: Topology) => t.edges.map((e) => ({ pair: pair(e), state: e.state, tier: e.tier })).sort((x, y) => x.pair.localeCompare(y.pair));
    expect(shape(fromB)).toEqual(shape(fromA));
    const pairs = [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']].map((names) => names.map(idFor).sort().join('|')).sort((x, y) => x.localeCompare(y));
    expect(shape(fromA)).toEqual(pairs.map((p) => ({ pair: p, state: 'open', tier: 'direct' })));
    for (const e of fromA.edges) expect(e.rttMs).toBeGreaterThan(0);
  });

  it('a peer without DataChannels is reached across instances on the fallback tier (relay through Redis)', async () => {
    const [a, b] = cluster.servers as [typeof cluster.servers[0], typeof cluster.servers[0]];
    const f1 = await startPeer(a, 'f1', { p2p: false });
    await startPeer(b, 'f2', { p2p: false });
    await seesPeers(f1.mesh, [idFor('f2')]);
    expect(await f1.mesh.call(idFor('f2'), 'echo', 'via the server')).toMatchObject({ output: 'via the server', tier: 'fallback' });
    const big = 'y'.repeat(100_000);
    expect(await f1.mesh.call(idFor('f2'), 'size', big)).toMatchObject({ output: 100_000, tier: 'fallback' });
    expect(f1.mesh.links().find((l) => l.peerId === idFor('f2'))).toMatchObject({ state: 'open', tier: 'fallback', sessions: 0 });
  });
});
