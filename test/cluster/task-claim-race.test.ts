import { describe, expect, it } from 'vitest';
import type { ServerFrame, Task } from '../../protocol/index.ts';
import { createRegistry } from '../../server/registry/registry.ts';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import type { Store } from '../../server/store/store.ts';
import { createTaskQueue } from '../../server/tasks/task-queue.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Pure ordering logic of the task queue: an in-process store with one step held at a gate.
describe('task queue: concurrent retries of one requestId', () => {
  it('a sweep (on any instance) never assigns the task a losing retry is about to discard', async () => {
    const base = createMemoryStore();
    let holdClaims = false;
    const held: Array<() => void> = [];
    const store: Store = {
      ...base,
      async create(ns, id, value, ttlMs) {
        if (holdClaims && ns.startsWith('task-req:')) await new Promise<void>((r) => held.push(r));
        return base.create(ns, id, value, ttlMs);
      },
    };
    const registry = createRegistry({ store, now: Date.now });
    await registry.register('m', 'agent', { name: 'echo', platform: 'node', skills: [{ name: 'echo' }], capabilities: [] });
    // Pushes go through the delivery claim, as the instance holding the agent's socket does it.
    const assigned: string[] = [];
    const deliveries: Array<Promise<unknown>> = [];
    const push = (_mesh: string, peerId: string, f: ServerFrame) => {
      if (f.type !== 'task-assigned') return;
      const task = f.payload as Task;
      deliveries.push(queue.claimDelivery(task).then((first) => first && assigned.push(`${peerId}:${task.id}`)));
    };
    const queue = createTaskQueue({ store, registry, now: Date.now, push });

    // Two instances take the same request at once: both store a task, then race for the request id.
    holdClaims = true;
    const submits = [1, 2].map(() => queue.submit('m', 'sub', { skill: 'echo', input: 1, requestId: 'r1' }));
    await waitFor(() => held.length === 2, 3000, 'both submits to reach their claim');
    held[0]!();
    const first = await submits[0]!;
    expect(first.created).toBe(true);
    // A sweep on a third instance runs while the loser's task still exists.
    await queue.sweep(['m']);
    held[1]!();
    const second = await submits[1]!;
    expect(second).toMatchObject({ created: false, task: { id: first.task.id } });
    await Promise.all(deliveries);
    expect(assigned).toEqual([`agent:${first.task.id}`]);
    expect((await queue.list('m')).map((t) => t.id)).toEqual([first.task.id]);

    // A retry that died between storing its task and deleting it leaves an orphan: swept, never run.
    const orphan = { ...first.task, id: 'orphan', state: 'pending' as const, agentId: undefined, targetPeer: undefined };
    // (A submit mirrors an open task before storing it, so the orphan has its mirror too.)
    await base.put('tasks-open:m', 'orphan', orphan);
    await base.put('tasks:m', 'orphan', orphan);
    await queue.sweep(['m']);
    await Promise.all(deliveries);
    expect((await queue.list('m')).map((t) => t.id)).toEqual([first.task.id]);
    expect(assigned).toHaveLength(1);
  });
});

describe('task queue: delivery claims', () => {
  it('a claim whose reply was lost (written, then reported as failed) still delivers exactly once', async () => {
    const base = createMemoryStore();
    let dropNextReply = true;
    const store: Store = {
      ...base,
      async create(ns, id, value, ttlMs) {
        const created = await base.create(ns, id, value, ttlMs);
        if (ns.startsWith('task-delivered:') && dropNextReply) {
          dropNextReply = false;
          throw new Error('connection reset after the write');
        }
        return created;
      },
    };
    const queue = createTaskQueue({ store, registry: createRegistry({ store, now: Date.now }), now: Date.now, push: () => undefined });
    const { task } = await queue.submit('m', 'sub', { skill: 'echo', input: 1, requestId: 'r1' });
    const claims = await Promise.all([queue.claimDelivery(task), queue.claimDelivery(task)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await queue.claimDelivery(task)).toBe(false);
  });
});
