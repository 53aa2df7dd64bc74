import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { createRedisStore } from '../../server/store/redis-store.ts';
import type { Store } from '../../server/store/store.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let n = 0;
const factories: Array<[string, () => Store]> = [
  ['memory', () => createMemoryStore()],
  ['redis', () => createRedisStore(redis.url, `t${++n}`)],
];

// One contract, every backend (libp2p-style): the control plane may rely on nothing else.
describe.each(factories)('Store contract: %s', (_name, make) => {
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
});
