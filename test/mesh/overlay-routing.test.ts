import { describe, expect, it } from 'vitest';
import { generateIdentity, MAX_ROUTE_HOPS, sealHelloText, signText } from '../../protocol/index.ts';
import { createLinkAuthenticator, createMemoryPinStore } from '../../web/mesh/link/link-identity.ts';
import { createRelaySeal, createSealKeys } from '../../web/mesh/routing/relay-seal.ts';
import { createOverlayTable } from '../../web/mesh/routing/overlay-table.ts';
import { createLazyPeerOverlay } from '../../web/mesh/routing/lazy-peer-overlay.ts';
import { createRelayBudget, type RelayBudgetOptions } from '../../web/mesh/routing/relay-budget.ts';
import { createFakeClock as fakeClock } from '../helpers/fake-clock.ts';
import { overlayNetwork } from './overlay-network.ts';


describe('overlay table', () => {
  it('reaches peers one hop beyond each neighbour, fewest hops first, avoiding peers on the path', () => {
    const t = createOverlayTable(() => 'a');
    t.linkUp('b');
    t.linkUp('c');
    t.announce('b', [['d', 1], ['e', 2]]);
    t.announce('c', [['d', 2], ['a', 1], ['c', 1]]);
    expect(t.nextHops('d')).toEqual([{ via: 'b', hops: 2 }, { via: 'c', hops: 3 }]);
    expect(t.nextHops('d', new Set(['b']))).toEqual([{ via: 'c', hops: 3 }]);
    expect(t.nextHops('e')).toEqual([{ via: 'b', hops: 3 }]);
    expect(t.nextHops('b')).toEqual([{ via: 'b', hops: 1 }]);
    // Our own id and the announcer itself never become destinations.
    expect(t.nextHops('a')).toEqual([]);
    t.linkDown('b');
    expect(t.nextHops('d')).toEqual([{ via: 'c', hops: 3 }]);
    expect(t.nextHops('e')).toEqual([]);
  });

  it('announces split-horizon, within the hop limit, and ignores non-neighbours', () => {
    const t = createOverlayTable(() => 'a');
    t.linkUp('b');
    t.linkUp('c');
    t.announce('b', [['d', 1], ['far', MAX_ROUTE_HOPS - 1]]);
    t.announce('c', []);
    // To c: b at 1, d through b at 2; `far` would be MAX_ROUTE_HOPS away from c's neighbour: not announced.
    expect(t.announcementFor('c')).toEqual([['b', 1], ['d', 2]]);
    // To b: nothing that only goes through b.
    expect(t.announcementFor('b')).toEqual([['c', 1]]);
    // The live snapshot: b's best is itself, d's is through b with no second way.
    expect(t.snapshot().get('d')).toEqual({ id: 'd', d1: 2, v1: 'b', d2: Infinity });
    expect(t.announce('stranger', [['x', 1]])).toBe(false);
    expect(t.announce('b', [['d', 1], ['far', MAX_ROUTE_HOPS - 1]])).toBe(false);
    // A neighbour that never announced (no routing: an older peer) is neither used nor announced.
    t.linkUp('old');
    expect(t.nextHops('old')).toEqual([]);
    expect(t.announcementFor('c').map(([id]) => id)).not.toContain('old');
  });
});

describe('relay budget', () => {
  it('forwards an id once, refuses oversize, and bounds bytes per second and payloads in flight per neighbour', () => {
    const { clock, advance } = fakeClock();
    const b = createRelayBudget(clock.now, { bytesPerSec: 10_000, maxInFlightPerPeer: 2, maxInFlightBytes: 50_000, maxPayloadBytes: 8000 });
    expect(b.admit('1', 'x', 4000)).toBeUndefined();
    expect(b.admit('1', 'y', 10)).toBe('duplicate');
    expect(b.admit('2', 'x', 9000)).toBe('too-large');
    expect(b.admit('3', 'x', 4000)).toBeUndefined();
    expect(b.admit('4', 'x', 100)).toBe('in-flight');
    b.release('x', 4000);
    // 8,000 of the 10,000-byte burst are spent.
    expect(b.admit('5', 'x', 4000)).toBe('rate');
    expect(b.admit('6', 'other', 4000)).toBeUndefined();
    advance(1000);
    expect(b.admit('7', 'x', 4000)).toBeUndefined();
    expect(b.stats).toMatchObject({ forwarded: 4, inFlight: 3, inFlightBytes: 12_000, refused: { duplicate: 1, 'too-large': 1, 'in-flight': 1, rate: 1 } });
  });

  it('bounds the bytes in flight for everyone together', () => {
    const { clock } = fakeClock();
    const b = createRelayBudget(clock.now, { bytesPerSec: 1e9, maxInFlightBytes: 10_000, maxPayloadBytes: 8000 });
    expect(b.admit('1', 'x', 6000)).toBeUndefined();
    expect(b.admit('2', 'y', 6000)).toBe('memory');
    b.release('x', 6000);
    expect(b.admit('3', 'y', 6000)).toBeUndefined();
    expect(b.stats.peakInFlightBytes).toBe(6000);
  });
});

/** Overlays wired into a graph in memory (overlay-network.ts), settled over 10 announce intervals. */
const network = (edges: Array<[string, string]>, budget: RelayBudgetOptions = {}) => overlayNetwork(edges, { budget, rounds: 10 });

describe('peer overlay', () => {
  it('learns a four-hop chain from announcements and carries a payload along it, unread', async () => {
    const net = network([['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]);
    await net.settle();
    const a = net.nodes.get('a')!;
    expect(a.best('c')).toMatchObject({ via: 'b', hops: 2 });
    expect(a.best('e')).toMatchObject({ via: 'b', hops: 4 });
    // Five hops is beyond MAX_ROUTE_HOPS: not offered.
    expect(a.best('f')).toBeUndefined();
    await expect(a.send('f', { x: 1 })).rejects.toMatchObject({ code: 'link-down' });
    const r = await a.send('e', { v: 1, type: 'sealed', n: 0, c: 'AAAA' });
    expect(r.hops).toBe(4);
    await net.settle();
    expect(net.delivered).toEqual([{ at: 'e', src: 'a', body: { v: 1, type: 'sealed', n: 0, c: 'AAAA' } }]);
    const hops = net.wire.filter((w) => w.value.type === 'hop');
    expect(hops.map((w) => `${w.from}>${w.to}:${w.value.ttl}`)).toEqual(['a>b:4', 'b>c:3', 'c>d:2', 'd>e:1']);
    expect(hops.at(-1)!.value.path).toEqual(['a', 'b', 'c', 'd']);
  });

  it('forwards a payload id once, never to a peer on its path, and re-routes when a relay link goes', async () => {
    // a-b-d and a-c-d: two ways; b also links to c.
    const net = network([['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['b', 'c']]);
    await net.settle();
    const a = net.nodes.get('a')!;
    expect(a.best('d')).toMatchObject({ via: 'b', hops: 2 });
    const hop = { v: 1, type: 'hop', id: 'dup', src: 'a', dst: 'd', ttl: 4, path: ['a'], body: { n: 1 } };
    net.nodes.get('b')!.receive('a', hop);
    net.nodes.get('b')!.receive('a', hop);
    // A loop: c hands b a payload b already carried.
    net.nodes.get('b')!.receive('c', { ...hop, path: ['a', 'c'] });
    // One naming b on its path is never forwarded by b.
    net.nodes.get('b')!.receive('c', { ...hop, id: 'loop', path: ['a', 'b', 'c'] });
    await net.settle();
    expect(net.delivered.filter((d) => d.at === 'd')).toHaveLength(1);
    expect(net.nodes.get('b')!.stats.refused).toMatchObject({ duplicate: 2, loop: 1 });
    const before = a.best('d')!.generation;
    net.cut('a', 'b');
    expect(a.best('d')).toMatchObject({ via: 'c', hops: 2 });
    expect(a.best('d')!.generation).not.toBe(before);
  });

  it('refuses forged paths, spent TTLs, oversize payloads and a flood beyond the budget', async () => {
    const net = network([['a', 'b'], ['b', 'c']], { bytesPerSec: 20_000, maxPayloadBytes: 4000 });
    await net.settle();
    const b = net.nodes.get('b')!;
    const hop = (id: string, extra = {}) => ({ v: 1, type: 'hop', id, src: 'a', dst: 'c', ttl: 4, path: ['a'], body: { n: 1 }, ...extra });
    b.receive('a', hop('forged', { path: ['x'] }));
    b.receive('a', hop('ttl', { ttl: 1 }));
    b.receive('a', hop('big', { body: { c: 'x'.repeat(5000) } }));
    b.receive('a', { v: 1, type: 'hop', id: 'bad id!' });
    for (let i = 0; i < 400; i++) b.receive('a', hop(`f${i}`, { body: { c: 'y'.repeat(900) } }));
    await net.settle();
    const s = b.stats;
    expect(s.refused).toMatchObject({ 'bad-hop': 2, ttl: 1, 'too-large': 1 });
    // About 20,000 bytes of ~1,000-byte payloads fit the burst; the rest were refused, not queued.
    expect(s.forwarded).toBeGreaterThan(5);
    expect(s.forwardedBytes).toBeLessThanOrEqual(20_000);
    expect(s.refused.rate).toBe(400 - s.forwarded);
    expect(s.inFlight).toBe(0);
    expect(net.delivered.filter((d) => d.at === 'c')).toHaveLength(s.forwarded);
  });
});

describe('lazy peer overlay', () => {
  it('runs the calls made while its code loads, in order, and knows no way before that', async () => {
    const { clock } = fakeClock();
    const lazy = createLazyPeerOverlay(() => import('../../web/mesh/routing/peer-overlay.ts').then((m) => m.createPeerOverlay({ localId: () => 'a', clock, sendTo: async () => undefined, deliver: () => undefined, changed: () => undefined })));
    expect(lazy.best('c')).toBeUndefined();
    expect(lazy.stats.forwarded).toBe(0);
    lazy.linkUp('b');
    lazy.receive('b', { v: 1, type: 'routes', peers: [{ peer: 'c', hops: 1 }] });
    await new Promise<void>((resolve) => lazy.whenReady(() => resolve()));
    expect(lazy.best('c')).toMatchObject({ via: 'b', hops: 2 });
    lazy.linkDown('b');
    expect(lazy.best('c')).toBeUndefined();
    lazy.stop();
  });

  it('says when its code failed to load (a joiner then links through the server), and loads it on the next use', async () => {
    const { clock } = fakeClock();
    let tries = 0;
    const lazy = createLazyPeerOverlay(() => (++tries === 1
      ? Promise.reject(new Error('chunk fetch failed (offline)'))
      : import('../../web/mesh/routing/peer-overlay.ts').then((m) => m.createPeerOverlay({ localId: () => 'a', clock, sendTo: async () => undefined, deliver: () => undefined, changed: () => undefined }))));
    const failed = await new Promise<boolean>((resolve) => lazy.whenReady(() => resolve(false), () => resolve(true)));
    expect(failed).toBe(true);
    const loaded = await new Promise<boolean>((resolve) => lazy.whenReady(() => resolve(true), () => resolve(false)));
    expect(loaded).toBe(true);
    expect(tries).toBe(2);
    lazy.stop();
  });
});

describe('seal over peers', () => {
  it('keeps a session made in the last 2 s when the peer is announced as (re)joined, and forgets an older one', async () => {
    const { clock, advance } = fakeClock();
    const ends: Record<string, ReturnType<typeof createRelaySeal>> = {};
    const make = (localId: string, remoteId: string) => createRelaySeal({
      localId, remoteId, auth: createLinkAuthenticator({ pins: createMemoryPinStore() }), keys: createSealKeys(), clock,
      sendHello: async (hello) => void (await ends[remoteId]!.open(hello, true)),
      onProblem: () => undefined,
    });
    ends.alice = make('alice', 'bob');
    ends.bob = make('bob', 'alice');
    const frame = new TextEncoder().encode('offer');
    // The joiner's first sealed frame (an offer over peers) arrives, then the presence frame saying it joined.
    expect(await ends.bob!.open(await ends.alice!.seal(frame), true)).toEqual(frame);
    ends.bob!.reset();
    expect(ends.bob!.verified).toBe(true);
    expect(await ends.bob!.open(await ends.alice!.seal(frame), true)).toEqual(frame);
    // A session older than that belongs to the peer before it rejoined: forgotten.
    advance(2000);
    ends.bob!.reset();
    expect(ends.bob!.verified).toBe(false);
  });

  it('drops a hello in a peer\'s name that fails its identity check when other peers carried it, instead of refusing that peer', async () => {
    const { identity: alice } = await generateIdentity();
    const { identity: mallory } = await generateIdentity();
    const { clock } = fakeClock();
    const problems: string[] = [];
    const seal = createRelaySeal({
      localId: 'bob', remoteId: alice.peerId, auth: createLinkAuthenticator({ pins: createMemoryPinStore() }), keys: createSealKeys(), clock,
      sendHello: async () => undefined,
      onProblem: (code) => void problems.push(code),
    });
    const ecdh = (await createSealKeys().get()).raw;
    // Mallory, a neighbour, makes up a hello in alice's name with her own (validly self-signed) key.
    const forged = {
      v: 1, type: 'seal-hello', from: alice.peerId, to: 'bob',
      payload: { identity: mallory.publicIdentity, ecdh, reply: false, signature: await signText(mallory, sealHelloText(alice.peerId, 'bob', ecdh)) },
    };
    expect(await seal.open(forged, true)).toBeUndefined();
    expect(problems).toEqual(['seal-refused']);
    // The same through the server (whose word the mesh takes on presence anyway) still refuses alice.
    expect(await seal.open(forged)).toBeUndefined();
    expect(problems).toEqual(['seal-refused', 'identity-failed']);
  });
});
