import { describe, expect, it } from 'vitest';
import { linksOpen, seesPeers, startPeer, useMeshServer, type TestPeer } from './harness.ts';
import { idFor } from '../helpers/test-identity.ts';

const env = useMeshServer();

const pairs = (ps: TestPeer[]) => ps.flatMap((a, i) => ps.slice(i + 1).map((b) => [a, b] as const));

/** Every pair agrees on one connection (same session id) and it is direct. */
function expectAgreedLinks(ps: TestPeer[]): void {
  for (const [a, b] of pairs(ps)) {
    const la = a.mesh.links().find((l) => l.peerId === b.id);
    const lb = b.mesh.links().find((l) => l.peerId === a.id);
    expect(la, `${a.id}->${b.id}`).toMatchObject({ state: 'open', tier: 'direct' });
    expect(la!.sessionId, `${a.id}<->${b.id} session`).toBe(lb!.sessionId);
  }
}

describe('five Node peers', () => {
  it('form a full mesh on join and call each other directly', async () => {
    const ps: TestPeer[] = [];
    for (const id of [idFor('p1'), idFor('p2'), idFor('p3'), idFor('p4'), idFor('p5')]) ps.push(await startPeer(env.server, id));
    const ids = ps.map((p) => p.id);
    await Promise.all(ps.map((p) => linksOpen(p.mesh, ids.filter((i) => i !== p.id), 'direct')));
    expectAgreedLinks(ps);
    const opens = ps.flatMap((p) => p.mesh.links().map((l) => l.openMs!)).sort((x, y) => x - y);
    console.log(`5-peer mesh: DataChannel open p50 ${opens[Math.floor(opens.length / 2)]} ms, max ${opens.at(-1)} ms (${opens.length} link ends)`);
    const results = await Promise.all(pairs(ps).flatMap(([a, b]) => [a.mesh.call(b.id, 'echo', `${a.id}>${b.id}`), b.mesh.call(a.id, 'echo', `${b.id}>${a.id}`)]));
    expect(results.map((r) => r.tier)).toEqual(Array(20).fill('direct'));
    expect(new Set(results.map((r) => r.output)).size).toBe(20);
    await Promise.all(ps.map((p) => p.mesh.stop()));
  });

  it('survives glare: every peer offers to every other at the same moment', async () => {
    const ids = [idFor('g1'), idFor('g2'), idFor('g3'), idFor('g4'), idFor('g5')];
    const ps = await Promise.all(ids.map((id) => startPeer(env.server, id, { autoConnect: false })));
    // Everyone knows everyone before anyone offers, so all ten pairs offer from both ends at once.
    await Promise.all(ps.map((p) => seesPeers(p.mesh, ids.filter((i) => i !== p.id))));
    const infos = await Promise.all(ps.flatMap((p) => ids.filter((i) => i !== p.id).map((i) => p.mesh.connect(i, { timeoutMs: 15_000 }))));
    // Every first attempt must succeed: a failure here (see lastError) is a negotiation bug, as
    // the candidate-in-SDP race was.
    expect(infos.filter((i) => i.state !== 'open' || i.tier !== 'direct')).toEqual([]);
    expectAgreedLinks(ps);
    // Proof that every pair collided: the impolite end (smaller id) kept its one connection, the
    // polite end discarded its own offer and answered on a second one.
    for (const [a, b] of pairs(ps)) {
      const [lo, hi] = a.id < b.id ? [a, b] : [b, a];
      expect(lo.mesh.links().find((l) => l.peerId === hi.id)!.sessions, `${lo.id} (impolite) -> ${hi.id}`).toBe(1);
      expect(hi.mesh.links().find((l) => l.peerId === lo.id)!.sessions, `${hi.id} (polite) -> ${lo.id}`).toBe(2);
    }
    const pongs = await Promise.all(pairs(ps).map(([a, b]) => a.mesh.ping(b.id)));
    expect(pongs.every((p) => p.tier === 'direct')).toBe(true);
  });
});
