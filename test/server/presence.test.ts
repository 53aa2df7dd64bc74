import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../protocol/index.ts';
import { OVERLAY, PeerRing } from '../../server/signaling/overlay-picks.ts';
import { createRelayHarness, type FakePeer, type Frame } from './support/relay-harness.ts';

/** A seeded random source (mulberry32), so the overlay's random picks repeat run to run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyedIds = (n: number) => Promise.all(Array.from({ length: n }, async () => (await generateIdentity()).identity.peerId));
const presenceFrames = (p: FakePeer) => p.frames.filter((f) => f.type === 'peer-joined' || f.type === 'peer-left' || f.type === 'presence');
/** Peer ids a peer was told joined, over every presence frame it got. */
const joinedIn = (frames: Frame[]) => frames.flatMap((f) => (f.type === 'peer-joined' ? [f.peer.peerId] : f.type === 'presence' ? f.joined.map((p: Frame) => p.peerId) : []));
const leftIn = (frames: Frame[]) => frames.flatMap((f) => (f.type === 'peer-left' ? [f.peerId] : f.type === 'presence' ? f.left : []));

/** Longest shortest path of an undirected graph given as adjacency sets (Infinity if disconnected). */
function diameter(adj: Map<string, Set<string>>): number {
  let worst = 0;
  for (const start of adj.keys()) {
    const dist = new Map([[start, 0]]);
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      for (const next of adj.get(queue[i]!) ?? []) {
        if (!dist.has(next)) (dist.set(next, dist.get(queue[i]!)! + 1), queue.push(next));
      }
    }
    if (dist.size < adj.size) return Infinity;
    worst = Math.max(worst, ...dist.values());
  }
  return worst;
}

describe('presence in a large mesh', () => {
  it('welcomes a newcomer to a large mesh with the mesh size and a bounded, connected, low-diameter set of neighbours', async () => {
    const t = createRelayHarness({ maxPeersPerMesh: 1000, random: seeded(7), presenceIntervalMs: 0 });
    const ids = await keyedIds(120);
    const adj = new Map<string, Set<string>>();
    const link = (a: string, b: string) => {
      for (const [x, y] of [[a, b], [b, a]] as const) (adj.get(x) ?? adj.set(x, new Set()).get(x)!).add(y);
    };
    const peers: Array<FakePeer & { welcome: Frame }> = [];
    for (const id of ids) {
      const p = await t.joinAs(id);
      adj.set(id, adj.get(id) ?? new Set());
      for (const n of p.welcome.peers) link(id, n.peerId);
      peers.push(p);
    }
    const last = peers.at(-1)!.welcome;
    expect(last.meshSize).toBe(120);
    expect(last.complete).toBe(false);
    expect(last.peers.length).toBe(OVERLAY.near + OVERLAY.random);
    // The ring neighbours by id come first: the next and previous id among those already in.
    const before = [...ids.slice(0, -1)].sort();
    const at = before.findIndex((id) => id > ids.at(-1)!);
    const succ = before[at === -1 ? 0 : at]!;
    const pred = before[((at === -1 ? before.length : at) - 1 + before.length) % before.length]!;
    expect(last.peers.slice(0, 2).map((p: Frame) => p.peerId)).toEqual([succ, pred]);
    // Small meshes are still introduced in full.
    expect(peers[OVERLAY.completeUpTo]!.welcome).toMatchObject({ complete: true, meshSize: OVERLAY.completeUpTo + 1 });
    expect(peers[OVERLAY.completeUpTo]!.welcome.peers).toHaveLength(OVERLAY.completeUpTo);
    // The overlay the welcomes describe is one component with a small diameter (a ring alone: 60).
    const d = diameter(adj);
    expect(d).toBeLessThanOrEqual(6);
    for (const p of peers) p.conn.closed();
  });

  it('batches a join storm into at most one presence frame per interval per peer, losing no join', async () => {
    const t = createRelayHarness({ maxPeersPerMesh: 1000, random: seeded(1), presenceIntervalMs: 300 });
    const ids = await keyedIds(OVERLAY.completeUpTo + 1);
    const first = await t.joinAs(ids[0]!);
    await Promise.all(ids.slice(1).map((id) => t.joinAs(id)));
    // The first join goes out at once (the old single frame), the rest wait for the interval.
    expect(presenceFrames(first)).toHaveLength(1);
    expect(presenceFrames(first)[0]).toMatchObject({ type: 'peer-joined' });
    const batch = await first.next('presence');
    expect(batch.meshSize).toBe(ids.length);
    expect(batch.left).toEqual([]);
    expect(presenceFrames(first)).toHaveLength(2);
    expect(new Set(joinedIn(presenceFrames(first)))).toEqual(new Set(ids.slice(1)));
  });

  it('tells a peer of a newcomer before relaying the newcomer\'s offer, even inside the interval', async () => {
    const t = createRelayHarness({ maxPeersPerMesh: 1000, random: seeded(4), presenceIntervalMs: 60_000 });
    const [a, b, c] = await keyedIds(3);
    const pa = await t.joinAs(a!);
    await t.joinAs(b!);
    const pc = await t.joinAs(c!);
    // a heard of b at once; c's join waits for the (long) interval until c offers to a.
    expect(joinedIn(presenceFrames(pa))).toEqual([b]);
    pc.send({ type: 'offer', to: a, payload: { sdp: 'v=0', sid: 's1' } });
    const order = pa.frames.map((f) => f.type).filter((type) => type !== 'welcome');
    expect(order).toEqual(['peer-joined', 'peer-joined', 'offer']);
    expect(joinedIn(presenceFrames(pa))).toEqual([b, c]);
  });

  it('does the same before a relay frame (the fallback tier): a late peer-joined would reset the sealed session', async () => {
    const t = createRelayHarness({ maxPeersPerMesh: 1000, random: seeded(5), presenceIntervalMs: 60_000 });
    const [a, b, c] = await keyedIds(3);
    const pa = await t.joinAs(a!);
    await t.joinAs(b!);
    const pc = await t.joinAs(c!);
    pc.send({ type: 'relay', to: a, payload: { v: 1, type: 'seal-hello' } });
    expect(pa.frames.map((f) => f.type).filter((type) => type !== 'welcome')).toEqual(['peer-joined', 'peer-joined', 'relay']);
    // Nothing is announced twice once the interval ends.
    expect(joinedIn(presenceFrames(pa))).toEqual([b, c]);
  });

  it('tells only the peers that know a leaver, and offers each of them a replacement neighbour', async () => {
    // Interval 0: every change goes out at once, so what each peer got is known synchronously.
    const t = createRelayHarness({ maxPeersPerMesh: 1000, random: seeded(3), presenceIntervalMs: 0 });
    const ids = await keyedIds(80);
    const peers = new Map<string, FakePeer & { welcome: Frame }>();
    for (const id of ids) peers.set(id, await t.joinAs(id));
    for (const p of peers.values()) p.frames.length = 0;
    const leaver = ids.at(-1)!;
    const knewIt = new Set<string>(peers.get(leaver)!.welcome.peers.map((p: Frame) => p.peerId));
    peers.get(leaver)!.conn.closed();
    peers.delete(leaver);
    for (const [id, p] of peers) {
      const got = presenceFrames(p);
      if (!knewIt.has(id)) {
        expect(got, `${id} never heard of the leaver`).toEqual([]);
        continue;
      }
      expect(leftIn(got)).toEqual([leaver]);
      const [spare] = joinedIn(got);
      expect(spare).toBeDefined();
      expect([leaver, id]).not.toContain(spare);
    }
  });
});

describe('candidate batches', () => {
  it('relays a candidate frame with further candidates in `more` intact, and refuses more than 16 naming the field', async () => {
    const t = createRelayHarness({ maxPeersPerMesh: 10 });
    const [a, b] = await keyedIds(2);
    const pa = await t.joinAs(a!);
    const pb = await t.joinAs(b!);
    const more = [{ candidate: 'candidate:2 1 udp 2122260223 10.0.0.2 50001 typ host', sdpMid: '0', sdpMLineIndex: 0 }];
    const payload = { candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 50000 typ host', sdpMid: '0', sdpMLineIndex: 0, sid: 's1', more };
    pa.send({ type: 'candidate', to: b, payload });
    expect(await pb.next('candidate')).toEqual({ type: 'candidate', to: b, from: a, payload });
    pa.send({ type: 'candidate', to: b, payload: { ...payload, more: Array.from({ length: 17 }, () => more[0]) } });
    expect(await pa.next('error')).toMatchObject({ code: 'bad-frame', message: 'payload.more: must have at most 16 entries' });
  });
});

describe('PeerRing', () => {
  it('picks ring neighbours on both sides, then distinct random others, never itself', () => {
    const ring = new PeerRing();
    for (const id of ['a', 'c', 'e', 'g', 'i', 'k']) ring.add(id);
    expect(ring.pick('f', 2, 0, () => 0)).toEqual(['g', 'e']);
    expect(ring.pick('a', 2, 0, () => 0)).toEqual(['c', 'k']);
    const picked = ring.pick('e', 2, 3, seeded(2));
    expect(new Set(picked).size).toBe(5);
    expect(picked).not.toContain('e');
    expect(ring.pick('z', 10, 10, Math.random)).toHaveLength(6);
  });
});
