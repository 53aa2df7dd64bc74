import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer, waitFor, type TestPeer } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-welcome-tests-001';

/**
 * A server that only introduces (issue 18): a joining peer negotiates its first welcome link
 * through the server and the others over peers (web/mesh/routing/overlay-welcome.ts).
 */
describe('welcome links over peers', () => {
  const ctx = useMeshServer({ TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` });
  afterEach(stopPeers);

  /** Negotiation frames (offer, answer, candidate) the server relayed so far. */
  async function negotiationFrames(): Promise<number> {
    const res = await fetch(`${ctx.server.url}/metrics`, { headers: { 'X-API-Key': ADMIN_KEY } });
    let n = 0;
    for (const m of (await res.text()).matchAll(/tabmesh_frames_relayed_total\{type="(offer|answer|candidate)"\} (\d+)/g)) n += Number(m[2]);
    return n;
  }

  /** Both ends of every link between `peer` and `others` open on the direct tier. */
  async function linkedTo(peer: TestPeer, others: TestPeer[]): Promise<void> {
    await linksOpen(peer.mesh, others.map((p) => p.id), 'direct');
    for (const p of others) await linksOpen(p.mesh, [peer.id], 'direct');
  }

  it('a joining peer negotiates only its first welcome link through the server, the others over peers', async () => {
    const joined: TestPeer[] = [];
    const perJoin: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = await negotiationFrames();
      const peer = await startPeer(ctx.server, `wo-${i}`);
      await linkedTo(peer, joined);
      joined.push(peer);
      perJoin.push((await negotiationFrames()) - before);
    }
    // The second peer's join is one link through the server: what a first link costs (an offer and
    // an answer at least; a Node offerer keeps its candidates where they gain nothing).
    const oneLink = perJoin[1]!;
    expect(oneLink).toBeGreaterThanOrEqual(2);
    expect(oneLink).toBeLessThanOrEqual(6);
    // Every later joiner opened links to all before it, yet cost the server no more than that one link.
    for (let i = 2; i < perJoin.length; i++) expect(perJoin[i], `join ${i} (${i} welcome links): ${perJoin.join(', ')}`).toBeLessThanOrEqual(oneLink);
    // The links negotiated over peers are whole: verified, and they carry calls.
    const last = joined.at(-1)!;
    for (const p of joined.slice(0, -1)) {
      expect(last.mesh.links().find((l) => l.peerId === p.id)).toMatchObject({ state: 'open', tier: 'direct', identity: 'verified' });
      expect((await last.mesh.call(p.id, 'echo', 'hi')).tier).toBe('direct');
    }
  });

  it('falls back to the server for every welcome link when the first one fails', async () => {
    // The first peer a welcome lists (the oldest) refuses DataChannels: the joiner's first link fails.
    const refuses = await startPeer(ctx.server, 'wf-refuses', { p2p: false, autoConnect: false });
    const a = await startPeer(ctx.server, 'wf-a', { autoConnect: false });
    const b = await startPeer(ctx.server, 'wf-b', { autoConnect: false });
    await a.mesh.connect(b.id);
    const before = await negotiationFrames();
    const joiner = await startPeer(ctx.server, 'wf-joiner');
    await waitFor(joiner.mesh, 'link', (l) => l.peerId === refuses.id && l.tier === 'fallback', 15_000,
      () => joiner.mesh.links().some((l) => l.peerId === refuses.id && l.tier === 'fallback'));
    await linkedTo(joiner, [a, b]);
    // No neighbour to route through: both links were negotiated through the server (an offer and an answer each at least).
    expect((await negotiationFrames()) - before).toBeGreaterThanOrEqual(4);
  });

  it('links to a welcome peer the overlay cannot reach through the server after the bounded wait', async () => {
    const introducer = await startPeer(ctx.server, 'wu-introducer', { autoConnect: false });
    // Linked to nobody: no way to it over peers will ever show up.
    const loner = await startPeer(ctx.server, 'wu-loner', { autoConnect: false });
    const before = await negotiationFrames();
    const joiner = await startPeer(ctx.server, 'wu-joiner');
    await linkedTo(joiner, [introducer, loner]);
    expect((await negotiationFrames()) - before).toBeGreaterThanOrEqual(4);
    expect(joiner.mesh.links().find((l) => l.peerId === loner.id)).toMatchObject({ state: 'open', tier: 'direct', sessions: 1 });
  });

  it('the introducer leaving at once still leaves the joiner linked to the others', async () => {
    // autoConnect off: the others must not top their links up to the joiner when the introducer leaves.
    const introducer = await startPeer(ctx.server, 'wl-introducer', { autoConnect: false });
    const a = await startPeer(ctx.server, 'wl-a', { autoConnect: false });
    const b = await startPeer(ctx.server, 'wl-b', { autoConnect: false });
    await Promise.all([a.mesh.connect(introducer.id), b.mesh.connect(introducer.id), a.mesh.connect(b.id)]);
    await linkedTo(b, [introducer, a]);
    await linkedTo(a, [introducer]);
    const joiner = await startPeer(ctx.server, 'wl-joiner');
    await introducer.mesh.stop();
    await linkedTo(joiner, [a, b]);
    await waitFor(joiner.mesh, 'peer-left', (e) => e.peerId === introducer.id, 15_000,
      () => !joiner.mesh.peers().some((p) => p.peerId === introducer.id && p.present));
    expect((await joiner.mesh.call(a.id, 'echo', 'hi')).output).toBe('hi');
  });
});
