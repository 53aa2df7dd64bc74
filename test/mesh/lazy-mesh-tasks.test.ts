import { describe, expect, it } from 'vitest';
import { createMeshTasks, type MeshTasksOptions } from '../../web/mesh/calls/mesh-tasks.ts';
import type { TaskFrames } from '../../web/mesh/calls/task-frames.ts';
import { createEmitter } from '../../web/mesh/emitter.ts';
import type { MeshEvents } from '../../web/mesh/mesh-types.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import type { TaskPushFrame } from '../../web/mesh/signaling/signaling-types.ts';

const ME = `k${'a'.repeat(32)}`;
const OTHER = `k${'b'.repeat(32)}`;

const task = (id: string, state: string) => ({
  id, mesh: 'm', requestId: `r-${id}`, skill: 'echo', input: null, submitter: ME, targetPeer: OTHER,
  state, createdAt: 1, updatedAt: 2, expiresAt: 3,
});
const updated = (id: string) => ({ type: 'task-updated', payload: task(id, 'completed') }) as unknown as TaskPushFrame;

/** Task frames pushed by hand on a signaling stand-in (a unit test of the loading logic, no server). */
function setUp(importIt?: () => Promise<typeof import('../../web/mesh/calls/task-frames.ts')>) {
  const events = createEmitter<MeshEvents>();
  const push = createEmitter<{ task: TaskPushFrame }>();
  const errors: string[] = [];
  const seen: string[] = [];
  events.on('error', (e) => void errors.push(`${e.code}: ${e.message}`));
  events.on('task-updated', (t) => void seen.push(t.id));
  const o = {
    opts: { url: 'http://127.0.0.1:1', platform: { fetch: globalThis.fetch }, getToken: async () => 't', host: {} },
    clock: clockOf({ now: Date.now }), events, signaling: { on: push.on }, localId: () => ME, stopped: () => false,
  } as unknown as MeshTasksOptions;
  const tasks = importIt ? createMeshTasks(o, importIt) : createMeshTasks(o);
  return { tasks, push: (f: TaskPushFrame) => push.emit('task', f), errors, seen, events };
}

describe('the task frames loaded on first use', () => {
  it('handles frames pushed while its module loads once each, in arrival order', async () => {
    const { tasks, push, seen, errors, events } = setUp();
    expect(tasks.running()).toBe(0);
    const all = new Promise<void>((resolve) => {
      events.on('task-updated', (t) => void (t.id === 't3' && resolve()));
      events.on('error', () => resolve());
    });
    for (const id of ['t1', 't2', 't3']) push(updated(id));
    await all;
    push(updated('t4'));
    // Once loaded, a frame is handled at once.
    expect(seen).toEqual(['t1', 't2', 't3', 't4']);
    expect(errors).toEqual([]);
    await tasks.stop(10);
  });

  it('reports the frames a failed load could not handle, and loads again with the next frame', async () => {
    let attempts = 0;
    const handled: string[] = [];
    const fake = { createTaskFrames: (): TaskFrames => ({ frame: (f) => void handled.push((f.payload as { id: string }).id), running: () => 2, stop: async () => undefined }) };
    const { tasks, push, errors } = setUp(async () => {
      if (++attempts === 1) throw new Error('offline');
      return fake as unknown as typeof import('../../web/mesh/calls/task-frames.ts');
    });
    push(updated('t1'));
    push(updated('t2'));
    await tasks.stop();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^task-runner-unavailable: .*task-updated.*offline/);
    push(updated('t3'));
    push(updated('t4'));
    await tasks.stop();
    expect(attempts).toBe(2);
    expect(handled).toEqual(['t3', 't4']);
    expect(tasks.running()).toBe(2);
  });
});
