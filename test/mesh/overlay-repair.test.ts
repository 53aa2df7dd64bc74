import { afterEach, describe, expect, it } from 'vitest';
import { REPAIR_TRIES } from '../../web/mesh/link/link-repair.ts';
import { AGENT_KEY, linksOpen, startPeer, stopPeers, useMeshServer, waitFor, type TestPeer } from './harness.ts';

const ADMIN_KEY = 'admin-key-for-overlay-repair-0001';

/** Peers this one holds a DataChannel to (not the server's relay, not other peers' channels). */
const direct = (p: TestPeer) => p.mesh.links().filter((l) => l.state === 'open' && l.tier !== 'fallback' && l.tier !== 'routed').map((l) => l.peerId).sort();
const ids = (...peers: TestPeer[]) => peers.map((p) => p.id).sort();

/**
 * Overlay repair after an eviction (issue 18), on real node-datachannel peers and a real server.
 * Every peer has maxLinks 2 (N: 1), so min(maxLinks, 8) = 2 is what A must get back to. The
 * links are made by hand (`connect`, as traffic would), the others never connect on their own
 * (`autoConnect: false`), and only A repairs:
 *
 *   A–X, A–F, X–Y, F–Y: A, X, F, Y full;  then N → X: X evicts A (its least recently used link).
 */
describe('overlay repair after an eviction', () => {
  const ctx = useMeshServer({ TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}` });
  afterEach(stopPeers);

  async function byes(): Promise<number> {
    const res = await fetch(`${ctx.server.url}/metrics`, { headers: { 'X-API-Key': ADMIN_KEY } });
    return Number(/tabmesh_frames_relayed_total\{type="bye"\} (\d+)/.exec(await res.text())?.[1] ?? 0);
  }

  /** Builds the full square and has N take A's slot at X; returns the peers once A lost X. */
  async function evictA(tag: string, extra: (name: string) => Promise<TestPeer | undefined>) {
    const cap = { maxLinks: 2, autoConnect: false };
    // A first: its welcome lists nobody, so it links only where the test says.
    const a = await startPeer(ctx.server, `${tag}-a`, { maxLinks: 2 });
    const x = await startPeer(ctx.server, `${tag}-x`, cap);
    const f = await startPeer(ctx.server, `${tag}-f`, cap);
    const y = await startPeer(ctx.server, `${tag}-y`, cap);
    const n = await startPeer(ctx.server, `${tag}-n`, { maxLinks: 1, autoConnect: false });
    const d = await extra(`${tag}-d`);
    // A repairs from the peers it knows: under load a presence batch can lag, so wait until A knows
    // everyone (else its repair may end before D is a candidate, which is the rule, not the test).
    for (const q of [x, f, y, n, ...(d ? [d] : [])]) {
      const known = () => a.mesh.peers().some((k) => k.peerId === q.id && k.present);
      await waitFor(a.mesh, 'peer-joined', known, 10_000, known);
    }
    await a.mesh.connect(x.id);
    await a.mesh.connect(f.id);
    await y.mesh.connect(x.id);
    await y.mesh.connect(f.id);
    // Y's link at X is the more recently used one, so X's cap takes A's.
    expect((await y.mesh.call(x.id, 'echo', 'fresh')).output).toBe('fresh');
    for (const p of [a, x, f, y]) expect(direct(p)).toHaveLength(2);
    const byesBefore = await byes();
    await n.mesh.connect(x.id);
    await linksOpen(x.mesh, [n.id, y.id]);
    expect(direct(x)).toEqual(ids(n, y));
    return { a, x, f, y, n, d, byesBefore };
  }

  /** No repair cost anyone else a link: every link but the evicted A–X is still there, on both ends. */
  function othersIntact(p: { a: TestPeer; x: TestPeer; f: TestPeer; y: TestPeer; n: TestPeer }) {
    expect(direct(p.x)).toEqual(ids(p.n, p.y));
    expect(direct(p.f)).toEqual(ids(p.a, p.y));
    expect(direct(p.y)).toEqual(ids(p.x, p.f));
    expect(direct(p.n)).toEqual([p.x.id]);
  }

  it('an evicted peer links to a peer with room (not the one that evicted it), and no one else loses a link', async () => {
    const p = await evictA('or1', (name) => startPeer(ctx.server, name, { autoConnect: false }));
    const { a, d } = p;
    const repaired = () => direct(a).length === 2 && direct(a).includes(d!.id);
    await waitFor(a.mesh, 'link', repaired, 20_000, repaired);
    // Back to min(maxLinks, 8) = 2 links: F, kept, and D, the one peer with a free slot.
    expect(direct(a)).toEqual(ids(p.f, d!));
    await linksOpen(d!.mesh, [a.id]);
    othersIntact(p);
    // The eviction's bye, plus one per repair offer Y or N refused (their slots are all taken).
    const sent = (await byes()) - p.byesBefore;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(3);
  });

  it('a repair that finds every peer full is refused and ends: no eviction cascade', async () => {
    const p = await evictA('or2', async () => undefined);
    const { a } = p;
    // A's repair offers go to Y and N (X evicted it and is not asked again); both refuse.
    const refusedBoth = () => [p.y, p.n].every((q) => a.mesh.links().some((l) => l.peerId === q.id && l.lastError === 'bye: link-cap'));
    // (Or A took a slot after all: that fails below, naming who lost a link.)
    const settled = () => refusedBoth() || direct(a).length > 1;
    await waitFor(a.mesh, 'link', settled, 20_000, settled);
    // A stays below its want rather than take anyone's slot, and nobody else lost a link.
    expect(direct(a)).toEqual([p.f.id]);
    othersIntact(p);
    // Exactly the eviction's bye and the two refusals (within 1 + REPAIR_TRIES): the repair started no other repair.
    expect((await byes()) - p.byesBefore).toBe(3);
    expect(REPAIR_TRIES).toBeGreaterThanOrEqual(2);
  });
});
