import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../server/registry/registry.ts';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { StoreUnavailableError, type Store } from '../../server/store/store.ts';
import { createTaskQueue } from '../../server/tasks/task-queue.ts';

describe('a submit sends its task and its request-id claim together', () => {
  it('when storing the task fails but the claim was taken, the claim is released so a retry creates the task', async () => {
    const base = createMemoryStore(Date.now, { sweepIntervalMs: 0 });
    let failNext = true;
    const store: Store = {
      ...base,
      put: (ns, id, value, ttl) => {
        if (ns === 'tasks:m' && failNext) return (failNext = false), Promise.reject(new StoreUnavailableError('disk full'));
        return base.put(ns, id, value, ttl);
      },
    };
    const registry = createRegistry({ store, now: Date.now });
    const queue = createTaskQueue({ store, registry, now: Date.now, push: () => undefined });
    const body = { skill: 'echo', requestId: 'r1' };
    await expect(queue.submit('m', 'sub', body)).rejects.toThrow('disk full');
    expect(await store.list('task-req:m')).toEqual([]);
    const retry = await queue.submit('m', 'sub', body);
    expect(retry.created).toBe(true);
    expect(await store.get('task-req:m', 'sub:r1')).toBe(retry.task.id);
  });
});
