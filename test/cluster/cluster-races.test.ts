import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/ops/logger.ts';
import type { ServerFrame } from '../../protocol/index.ts';
import { createCluster, type ClusterHandlers, type ClusterLink } from '../../server/signaling/cluster.ts';
import { createRemotePeers } from '../../server/signaling/remote-peers.ts';
import { createRedisStore } from '../../server/store/redis-store.ts';
import type { Store } from '../../server/store/store.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Cluster instances in-process on a real Redis; only the hub behind each is replaced by a recorder.
let redis: RedisProcess;
let admin: Store;
let prefix = 0;
const open: Array<{ cluster?: ClusterLink; store: Store }> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.cluster?.close().catch(() => undefined);
    await o.store.close();
  }
});
afterAll(async () => {
  await redis?.stop();
});

interface Recorder extends ClusterHandlers {
  frames: Array<{ mesh: string; frame: ServerFrame }>;
  kicks: Array<{ peerId: string; code: number }>;
}
function recorder(): Recorder {
  const frames: Recorder['frames'] = [];
  const kicks: Recorder['kicks'] = [];
  return {
    frames, kicks,
    deliver: (mesh, _to, frame) => void frames.push({ mesh, frame }),
    broadcast: (mesh, _except, frame) => void frames.push({ mesh, frame }),
    revoke: () => undefined,
    kick: (_mesh, peerId, code) => void kicks.push({ peerId, code }),
  };
}

const peer = (peerId: string) => ({ peerId, role: 'agent' as const, joinedAt: 1 });
const presence = (mesh: string, peerId: string) => admin.get<{ instance: string }>(`cluster-peers:${mesh}`, peerId);

/** One in-process instance on its own Redis connections; `wrap` can intercept its store. */
async function instance(ns: string, opts: { wrap?: (s: Store) => Store; refreshMs?: number } = {}) {
  const store = createRedisStore(redis.url, ns);
  const handlers = recorder();
  const cluster = await createCluster({
    store: opts.wrap ? opts.wrap(store) : store, logger: createLogger('error'), handlers,
    refreshMs: opts.refreshMs ?? 200, probeTimeoutMs: 300,
  });
  open.push({ cluster, store });
  return { cluster, store, handlers };
}

/** A fresh key prefix per test, so tests share one redis-server without seeing each other. */
function namespace(): string {
  const ns = `race${++prefix}`;
  admin = createRedisStore(redis.url, ns);
  open.push({ store: admin });
  return ns;
}

describe('cluster presence races (real Redis)', () => {
  it('a graceful close releases every record it holds, also releases still in flight', async () => {
    const ns = namespace();
    const a = await instance(ns);
    expect(await a.cluster.claim('m', peer('p1'), 10)).toBe('ok');
    expect(await a.cluster.claim('m', peer('p2'), 10)).toBe('ok');
    a.cluster.release('m', 'p1');
    await a.cluster.close();
    expect(await presence('m', 'p1')).toBeUndefined();
    expect(await presence('m', 'p2')).toBeUndefined();
    expect(await admin.get('instances', a.cluster.instanceId)).toBeUndefined();
  });

  it('a record left by a killed instance is taken over at once, not after its liveness key expires', async () => {
    const ns = namespace();
    const a = await instance(ns);
    const b = await instance(ns);
    expect(await a.cluster.claim('m', peer('p'), 10)).toBe('ok');
    // Killed: its connections drop, its liveness key (10 s TTL) and the record stay behind.
    await a.store.close();
    expect(await admin.get('instances', a.cluster.instanceId)).toBe(true);
    expect(await b.cluster.claim('m', peer('p'), 10)).toBe('ok');
    expect((await presence('m', 'p'))?.instance).toBe(b.cluster.instanceId);
  });

  it('a live holder keeps its peer: a claim elsewhere is a duplicate until it releases', async () => {
    const ns = namespace();
    const a = await instance(ns);
    const b = await instance(ns);
    expect(await a.cluster.claim('m', peer('p'), 10)).toBe('ok');
    expect(await b.cluster.claim('m', peer('p'), 10)).toBe('duplicate');
    expect((await presence('m', 'p'))?.instance).toBe(a.cluster.instanceId);
    a.cluster.release('m', 'p');
    await waitFor(async () => (await presence('m', 'p')) === undefined, 3000, 'release');
    expect(await b.cluster.claim('m', peer('p'), 10)).toBe('ok');
  });

  it('two sockets of one peer claiming on one instance at once: exactly one wins', async () => {
    const ns = namespace();
    const a = await instance(ns);
    const results = await Promise.all([a.cluster.claim('m', peer('p'), 10), a.cluster.claim('m', peer('p'), 10)]);
    expect(results.sort()).toEqual(['duplicate', 'ok']);
    expect((await presence('m', 'p'))?.instance).toBe(a.cluster.instanceId);
  });

  it('a reconnect racing the dead-instance sweep keeps the new record and announces no departure', async () => {
    const ns = namespace();
    // C's store snapshots are held at a gate so the sweep runs exactly across the takeover.
    let gate: Promise<void> | undefined;
    let listed = 0;
    const wrap = (s: Store): Store => ({
      ...s,
      list: async <T,>(n: string) => {
        const out = await s.list<T>(n);
        if (n.startsWith('cluster-peers:')) (listed++, await gate);
        return out;
      },
    });
    const a = await instance(ns);
    expect(await a.cluster.claim('m', peer('p'), 10)).toBe('ok');
    const c = await instance(ns, { wrap });
    // What A's hub publishes when p joins there.
    a.cluster.broadcast('m', 'p', { type: 'peer-joined', peer: peer('p') });
    await waitFor(() => c.cluster.hasRemote('m', 'p'), 3000, 'C to learn about p');
    await a.store.close();
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    const before = listed;
    await waitFor(() => listed > before, 3000, 'C to snapshot presence');
    // A's liveness key expires while C holds its snapshot (p on A, A dead); p reconnects to B.
    await admin.delete('instances', a.cluster.instanceId);
    const b = await instance(ns);
    expect(await b.cluster.claim('m', peer('p'), 10)).toBe('ok');
    gate = undefined;
    open();
    const after = listed;
    await waitFor(() => listed > after + 1, 3000, 'two more sweeps');
    expect((await presence('m', 'p'))?.instance).toBe(b.cluster.instanceId);
    expect(c.handlers.frames.filter((f) => f.frame.type === 'peer-left')).toEqual([]);
    expect(c.cluster.hasRemote('m', 'p')).toBe(true);
  });

  it('a peer whose instance died is reported gone once, after the strikes, and its record removed', async () => {
    const ns = namespace();
    const a = await instance(ns);
    expect(await a.cluster.claim('m', peer('p'), 10)).toBe('ok');
    const c = await instance(ns);
    a.cluster.broadcast('m', 'p', { type: 'peer-joined', peer: peer('p') });
    await waitFor(() => c.cluster.hasRemote('m', 'p'), 3000, 'C to learn about p');
    await a.store.close();
    await admin.delete('instances', a.cluster.instanceId);
    await waitFor(() => c.handlers.frames.some((f) => f.frame.type === 'peer-left'), 3000, 'peer-left');
    expect(c.handlers.frames.filter((f) => f.frame.type === 'peer-left')).toEqual([{ mesh: 'm', frame: { type: 'peer-left', peerId: 'p' } }]);
    expect(c.cluster.hasRemote('m', 'p')).toBe(false);
    expect(await presence('m', 'p')).toBeUndefined();
  });

  it('an instance that lost its peer to another one kicks its stale socket (4409) and stays quiet about it', async () => {
    const ns = namespace();
    const a = await instance(ns);
    const c = await instance(ns);
    expect(await a.cluster.claim('m', peer('p'), 10)).toBe('ok');
    // What a takeover after an unanswered probe leaves: the record names another live instance.
    await admin.put('cluster-peers:m', 'p', { ...peer('p'), joinedAt: 2, instance: c.cluster.instanceId }, 15_000);
    await waitFor(() => a.handlers.kicks.length > 0, 3000, 'kick');
    expect(a.handlers.kicks).toEqual([{ peerId: 'p', code: 4409 }]);
    a.cluster.broadcast('m', 'p', { type: 'peer-left', peerId: 'p' });
    a.cluster.broadcast('m', 'p', { type: 'peer-joined', peer: peer('q') });
    await waitFor(() => c.handlers.frames.some((f) => f.frame.type === 'peer-joined'), 3000, 'the later broadcast');
    expect(c.handlers.frames.map((f) => f.frame.type)).not.toContain('peer-left');
  });

  it('a delivery addressed by a stale cache (peer moved on) still reaches the peer', async () => {
    const ns = namespace();
    const [a, b, c] = [await instance(ns), await instance(ns), await instance(ns)];
    expect(await c.cluster.claim('m', peer('p'), 10)).toBe('ok');
    // A still believes p is on B (B's join announcement, p's later move not yet seen).
    b.cluster.broadcast('m', 'p', { type: 'peer-joined', peer: peer('p') });
    await waitFor(() => a.cluster.hasRemote('m', 'p'), 3000, 'A to cache p on B');
    a.cluster.forward('m', 'p', { type: 'relay', from: 'q', to: 'p', payload: 'hello' } as ServerFrame);
    await waitFor(() => c.handlers.frames.some((f) => f.frame.type === 'relay'), 3000, 'the frame at C');
    expect(c.handlers.frames.filter((f) => f.frame.type === 'relay')).toHaveLength(1);
  });

  it('a store that restarted empty gets every live record back from its holders', async () => {
    const ns = namespace();
    const a = await instance(ns);
    expect(await a.cluster.claim('m', peer('p'), 10)).toBe('ok');
    await redis.stop();
    redis = await redis.restart();
    await waitFor(async () => (await presence('m', 'p').catch(() => undefined))?.instance === a.cluster.instanceId, 10_000, 'record re-created');
    expect(await admin.get('instances', a.cluster.instanceId)).toBe(true);
  });
});

describe('remote peer cache', () => {
  it('ignores a late peer-left from the instance a peer moved away from', () => {
    const r = createRemotePeers();
    expect(r.joined('m', { ...peer('p'), instance: 'A' })).toBe(true);
    expect(r.joined('m', { ...peer('p'), joinedAt: 2, instance: 'B' })).toBe(true);
    expect(r.left('m', 'p', 'A')).toBe(false);
    expect(r.has('m', 'p')).toBe(true);
    expect(r.left('m', 'p', 'B')).toBe(true);
    expect(r.list('m')).toEqual([]);
  });

  it('keeps pub/sub news newer than a snapshot, and drops a missing peer only after two snapshots', () => {
    const r = createRemotePeers();
    let epoch = r.begin();
    expect(r.reconcile('m', epoch, [{ ...peer('p'), instance: 'A' }])).toEqual({ joined: [peer('p')], left: [] });
    epoch = r.begin();
    // p left (pub/sub) after the snapshot that still lists it was read: the snapshot must not revive it.
    expect(r.left('m', 'p', 'A')).toBe(true);
    expect(r.reconcile('m', epoch, [{ ...peer('p'), instance: 'A' }])).toEqual({ joined: [], left: [] });
    expect(r.has('m', 'p')).toBe(false);
    r.joined('m', { ...peer('q'), instance: 'A' });
    expect(r.reconcile('m', r.begin(), []).left).toEqual([]);
    expect(r.reconcile('m', r.begin(), []).left).toEqual(['q']);
  });
});
