import { afterAll, describe, expect, it } from 'vitest';
import { idFor } from '../helpers/test-identity.ts';
import { linksOpen, startPeer, stopPeers, useMeshServer, waitFor, type TestPeer } from './harness.ts';

const openLinks = (p: TestPeer) => p.mesh.links().filter((l) => l.state === 'open' && l.tier !== 'fallback' && l.tier !== 'routed').map((l) => l.peerId);

describe('partial mesh: maxLinks', () => {
  const ctx = useMeshServer();
  afterAll(stopPeers);

  it('links to at most maxLinks of the peers its welcome lists, reaches the others on demand, and tops up when a linked peer leaves', async () => {
    const others: TestPeer[] = [];
    for (const id of ['pm-a', 'pm-b', 'pm-c', 'pm-d']) others.push(await startPeer(ctx.server, id, { autoConnect: false }));
    const small = await startPeer(ctx.server, 'pm-small', { maxLinks: 2 });
    // The welcome listed all four; it opened links to exactly two (the others do not connect on their own).
    await waitFor(small.mesh, 'link', () => openLinks(small).length === 2, 15_000, () => openLinks(small).length === 2);
    const linked = openLinks(small);
    // It did not try the other two and get refused by its own cap (that would put them on the fallback tier).
    expect(small.mesh.links().filter((l) => l.tier === 'fallback')).toEqual([]);
    // Seen from the other side too: only the two it linked to hold a DataChannel to it.
    for (const p of others.filter((o) => linked.includes(o.id))) await linksOpen(p.mesh, [small.id]);
    expect(others.filter((p) => openLinks(p).includes(small.id)).map((p) => p.id).sort()).toEqual([...linked].sort());
    expect(small.mesh.peers().filter((p) => p.present).map((p) => p.peerId).sort()).toEqual(others.map((o) => o.id).sort());
    // A linked peer leaves: the small peer links to another present peer to keep its degree.
    const leaving = others.find((p) => p.id === linked[0])!;
    await leaving.mesh.stop();
    await waitFor(small.mesh, 'peer-left', (e) => e.peerId === leaving.id, 15_000);
    const stays = linked[1]!;
    await waitFor(small.mesh, 'link', () => openLinks(small).filter((id) => id !== stays && id !== leaving.id).length >= 1, 15_000,
      () => openLinks(small).filter((id) => id !== stays && id !== leaving.id).length >= 1);
    expect(openLinks(small).length).toBeLessThanOrEqual(2);
    await linksOpen(small.mesh, [stays]);
    // The peer it has no link to is still reachable (a link on demand within the cap, or the relay).
    const unlinked = ['pm-a', 'pm-b', 'pm-c', 'pm-d'].map(idFor).find((id) => id !== leaving.id && !openLinks(small).includes(id))!;
    expect((await small.mesh.call(unlinked, 'echo', 'hi')).output).toBe('hi');
    expect(openLinks(small).length).toBeLessThanOrEqual(2);
  });
});
