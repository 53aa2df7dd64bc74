import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisStore } from '../../server/store/redis-store.ts';
import { startBackends } from './store-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';

const backends = await startBackends();
afterAll(() => backends.stop());

// One contract, every backend (libp2p-style): the control plane may rely on nothing else.
describe.each(backends.list.map((b) => [b.name, b] as const))('Store contract: %s', (_name, backend) => {
  const make = backend.make;
  it('get/put/delete/list with JSON copies, not shared objects', async () => {
    const s = make();
    const v = { a: 1, nested: { b: [1, 2] } };
    await s.put('ns', 'x', v);
    v.a = 2;
    expect(await s.get('ns', 'x')).toEqual({ a: 1, nested: { b: [1, 2] } });
    await s.put('ns', 'y', 'two');
    expect((await s.list('ns')).sort()).toEqual([{ a: 1, nested: { b: [1, 2] } }, 'two'].sort());
    expect(await s.delete('ns', 'x')).toBe(true);
    expect(await s.delete('ns', 'x')).toBe(false);
    expect(await s.get('ns', 'x')).toBeUndefined();
    expect(await s.list('other')).toEqual([]);
    await s.close();
  });

  it('create is first-writer-wins, also under concurrency', async () => {
    const s = make();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.create('c', 'k', i)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await s.get('c', 'k')).toBe(results.indexOf(true));
    await s.close();
  });

  it('swap is compare-and-set: exactly one of concurrent claims wins; undefined deletes', async () => {
    const s = make();
    const task = { id: 't', state: 'pending' };
    await s.put('tasks', 't', task);
    const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => s.swap<Record<string, unknown>>('tasks', 't', task, { ...task, state: 'assigned', by: i })));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await s.swap('tasks', 't', task, { ...task, state: 'x' })).toBe(false);
    const now = await s.get<Record<string, unknown>>('tasks', 't');
    expect(now!.state).toBe('assigned');
    expect(await s.swap('tasks', 't', now, undefined)).toBe(true);
    expect(await s.get('tasks', 't')).toBeUndefined();
    expect(await s.list('tasks')).toEqual([]);
    expect(await s.swap('tasks', 'missing', 1, 2)).toBe(false);
    await s.close();
  });

  it('entries and counters expire after their TTL', async () => {
    const s = make();
    await s.put('ttl', 'a', 1, 100);
    await s.create('ttl', 'b', 2, 100);
    expect(await s.incr('cnt', 'ip', 100)).toBe(1);
    expect(await s.incr('cnt', 'ip', 100)).toBe(2);
    expect(await s.get('ttl', 'a')).toBe(1);
    await waitFor(async () => (await s.get('ttl', 'a')) === undefined && (await s.list('ttl')).length === 0, 3000, 'expiry');
    await waitFor(async () => (await s.incr('cnt', 'ip', 100)) === 1, 3000, 'counter reset');
    await s.close();
  });

  it('publish reaches every subscriber of the channel, and only them', async () => {
    const a = make();
    const got: unknown[] = [];
    const other: unknown[] = [];
    const unsub = await a.subscribe('chan', (m) => got.push(m));
    await a.subscribe('elsewhere', (m) => other.push(m));
    await a.publish('chan', { hello: 1 });
    await waitFor(() => got.length === 1, 3000, 'message');
    expect(got).toEqual([{ hello: 1 }]);
    expect(other).toEqual([]);
    await unsub();
    await a.publish('chan', { hello: 2 });
    await a.publish('elsewhere', 'sentinel');
    await waitFor(() => other.length === 1, 3000, 'sentinel');
    expect(got).toHaveLength(1);
    expect(await a.healthy()).toBe(true);
    await a.close();
  });

  it('a swap without a TTL makes the entry permanent; incr keeps its first expiry', async () => {
    const s = make();
    await s.put('p', 'x', 1, 150);
    expect(await s.swap('p', 'x', 1, 2)).toBe(true);
    expect(await s.incr('cnt', 'c', 150)).toBe(1);
    await waitFor(async () => (await s.incr('cnt', 'c', 60_000)) === 1, 3000, 'counter reset after its first TTL');
    expect(await s.get('p', 'x')).toBe(2);
    await s.close();
  });

  it('an expired entry can be created again and is not listed, deleted or swapped', async () => {
    const s = make();
    await s.put('e', 'x', 'old', 50);
    await waitFor(async () => (await s.get('e', 'x')) === undefined, 3000, 'expiry');
    expect(await s.swap('e', 'x', 'old', 'new')).toBe(false);
    expect(await s.delete('e', 'x')).toBe(false);
    expect(await s.create('e', 'x', 'fresh')).toBe(true);
    expect(await s.list('e')).toEqual(['fresh']);
    await s.close();
  });
});

describe('Redis: ids of expired entries do not pile up in the namespace index', () => {
  it('after 2,000 TTL writes nobody lists have expired, the next TTL write prunes their ids', async () => {
    const s = createRedisStore(backends.redisUrl(), 'index-test');
    const raw = new Redis(backends.redisUrl());
    const sizes = async (ns: string) => ({ permanent: await raw.scard(`index-test:ns:${ns}`), expiring: await raw.zcard(`index-test:nsx:${ns}`) });
    await s.put('kept', 'permanent', 1);
    for (let i = 0; i < 2000; i++) await s.put('nonce', `n${i}`, true, 100);
    await waitFor(async () => (await s.get('nonce', 'n1999')) === undefined, 3000, 'expiry');
    await s.put('nonce', 'fresh', true, 60_000);
    expect(await sizes('nonce')).toEqual({ permanent: 0, expiring: 1 });
    expect(await s.list('nonce')).toEqual([true]);
    expect(await sizes('kept')).toEqual({ permanent: 1, expiring: 0 });
    // A TTL entry made permanent moves to the set; deleting removes it from both.
    expect(await s.swap<unknown>('nonce', 'fresh', true, 'kept')).toBe(true);
    expect(await sizes('nonce')).toEqual({ permanent: 1, expiring: 0 });
    expect(await s.delete('nonce', 'fresh')).toBe(true);
    expect(await sizes('nonce')).toEqual({ permanent: 0, expiring: 0 });
    raw.disconnect();
    await s.close();
  });
});

// Durability is part of the contract only for the backends that keep data (embedded, Redis); the
// memory store documents that nothing survives, so it is not listed here (rather than skipped).
describe.each(backends.list.flatMap((b) => (b.restart ? [[b.name, { make: b.make, restart: b.restart }] as const] : [])))('Store contract, durable backends: %s', (_name, backend) => {
  const make = backend.make;
  it('restart: everything written before close is there afterwards, TTLs included', async () => {
    const s = make();
    await s.put('devices', 'd1', { id: 'd1', hash: 'h' });
    await s.create('pair-code', '123456', { code: '123456' }, 60_000);
    await s.put('task', 't', { state: 'pending' });
    expect(await s.swap('task', 't', { state: 'pending' }, { state: 'assigned' })).toBe(true);
    await s.put('revoked', 'dev:d2', true);
    await s.incr('pair-ip', '10.0.0.1', 60_000);
    await s.put('short', 'gone', 1, 50);
    await s.delete('devices', 'nobody');
    await waitFor(async () => (await s.get('short', 'gone')) === undefined, 3000, 'short TTL');
    const r = await backend.restart(s);
    expect(await r.get('devices', 'd1')).toEqual({ id: 'd1', hash: 'h' });
    expect(await r.create('pair-code', '123456', { code: 'other' })).toBe(false);
    expect(await r.get('task', 't')).toEqual({ state: 'assigned' });
    expect(await r.get('revoked', 'dev:d2')).toBe(true);
    expect(await r.incr('pair-ip', '10.0.0.1', 60_000)).toBe(2);
    expect(await r.get('short', 'gone')).toBeUndefined();
    expect(await r.list('task')).toEqual([{ state: 'assigned' }]);
    await r.close();
  });
});
