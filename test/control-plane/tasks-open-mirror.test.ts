import { describe, expect, it } from 'vitest';
import type { Task } from '../../protocol/index.ts';
import { createRegistry } from '../../server/registry/registry.ts';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import type { Store } from '../../server/store/store.ts';
import { createTaskQueue } from '../../server/tasks/task-queue.ts';

/** A queue on a memory store that records which namespaces were listed. */
function setup() {
  let t = 1_000_000;
  const now = () => t;
  const base = createMemoryStore(now, { sweepIntervalMs: 0 });
  const listed: string[] = [];
  const store: Store = { ...base, list: (ns) => (listed.push(ns), base.list(ns)) };
  const registry = createRegistry({ store, now });
  const queue = createTaskQueue({ store, registry, now, push: () => undefined, limits: { maxOpenPerPeer: 2 } });
  return { store, registry, queue, listed, advance: (ms: number) => void (t += ms) };
}

const submit = (q: ReturnType<typeof setup>['queue'], requestId: string) => q.submit('m', 'sub', { skill: 'echo', requestId });

describe('open tasks are mirrored so submit and routing never read the finished history', () => {
  it('submit and assignment list only the open tasks; the open count follows completions', async () => {
    const { store, registry, queue, listed } = setup();
    await registry.register('m', 'wrk', { name: 'worker', platform: 'node', skills: [{ name: 'echo' }], capabilities: [] });
    for (let i = 0; i < 50; i++) await store.put('tasks:m', `old${i}`, { id: `old${i}`, mesh: 'm', state: 'completed' });
    listed.length = 0;
    const a = await submit(queue, 'a');
    const b = await submit(queue, 'b');
    expect([a.task.state, b.task.state]).toEqual(['assigned', 'assigned']);
    expect(listed).not.toContain('tasks:m');
    expect(listed).toContain('tasks-open:m');
    await expect(submit(queue, 'c')).rejects.toMatchObject({ status: 429 });
    await queue.update('m', a.task.id, 'wrk', { state: 'completed', output: 1 });
    expect((await submit(queue, 'c')).created).toBe(true);
    expect((await store.list<Task>('tasks-open:m')).map((t) => t.requestId).sort()).toEqual(['b', 'c']);
  });

  it('the sweep repairs a stale mirror (a crash between the two writes) and adopts open tasks that have none', async () => {
    const { store, registry, queue, advance } = setup();
    const a = await submit(queue, 'a');
    const b = await submit(queue, 'b');
    // Stale: the task finished but its mirror still says open. Missing: an open task from before mirrors existed.
    await store.put('tasks:m', a.task.id, { ...a.task, state: 'failed' });
    await store.delete('tasks-open:m', b.task.id);
    await queue.sweep(['m']);
    expect((await store.list<Task>('tasks-open:m')).map((t) => t.id)).toEqual([b.task.id]);
    // A later (partial) sweep finds the stale copy through the mirror too, and assigns what is pending.
    await store.put('tasks-open:m', a.task.id, a.task);
    await registry.register('m', 'wrk', { name: 'worker', platform: 'node', skills: [{ name: 'echo' }], capabilities: [] });
    advance(1000);
    await queue.sweep(['m']);
    const open = await store.list<Task>('tasks-open:m');
    expect(open.map((t) => [t.id, t.state])).toEqual([[b.task.id, 'assigned']]);
    expect((await store.get<Task>('tasks:m', b.task.id))!.state).toBe('assigned');
  });

  it('a transition that loses its swap (another instance changed the task) puts the mirror back to the stored task', async () => {
    const { store: base, registry } = setup();
    await registry.register('m', 'wrk', { name: 'worker', platform: 'node', skills: [{ name: 'echo' }], capabilities: [] });
    // The mirror write goes out with the swap; here the swap loses: the task was cancelled first.
    const store: Store = {
      ...base,
      swap: async (ns, id, expected, next, ttl) => {
        if (ns === 'tasks:m') await base.put(ns, id, { ...(expected as Task), state: 'failed', error: { code: 'cancelled', message: 'x' } });
        return base.swap(ns, id, expected, next, ttl);
      },
    };
    const queue = createTaskQueue({ store, registry, now: Date.now, push: () => undefined });
    const { task } = await submit(queue, 'a');
    expect(task.state).toBe('failed');
    expect(await store.list('tasks-open:m')).toEqual([]);
  });

  it('a transition whose swap fails (store error) puts the mirror back, so the open task stays visible to the sweep', async () => {
    const { store: base, registry } = setup();
    await registry.register('m', 'wrk', { name: 'worker', platform: 'node', skills: [{ name: 'echo' }], capabilities: [] });
    let failSwaps = false;
    const store: Store = { ...base, swap: (...a) => (failSwaps ? Promise.reject(new Error('store down')) : base.swap(...a)) };
    const queue = createTaskQueue({ store, registry, now: Date.now, push: () => undefined });
    const { task } = await submit(queue, 'a');
    expect(task.state).toBe('assigned');
    failSwaps = true;
    // The completion's mirror delete went out with the swap; the swap failed, so the task is still assigned.
    await expect(queue.update('m', task.id, 'wrk', { state: 'completed', output: 1 })).rejects.toThrow('store down');
    expect((await store.list<Task>('tasks-open:m')).map((t) => [t.id, t.state])).toEqual([[task.id, 'assigned']]);
  });
});
