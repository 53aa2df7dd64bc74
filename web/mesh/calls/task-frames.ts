import type { TaskPushFrame } from '../signaling/signaling-types.ts';
import type { MeshTasksOptions } from './mesh-tasks.ts';
import { parseTask } from './task-payload.ts';
import { createTaskRunner } from './task-runner.ts';

export type TaskFrames = ReturnType<typeof createTaskFrames>;

/**
 * The task frames the server pushes, handled: `task-assigned` runs on the task runner,
 * `task-updated` ends a task of ours or tells the submitter. Loaded with the first such frame
 * (mesh-tasks.ts): server-queued tasks are rare next to direct calls.
 */
export function createTaskFrames(o: MeshTasksOptions) {
  const { opts, events } = o;
  const runner = createTaskRunner({
    url: opts.url,
    host: opts.host,
    fetch: opts.platform.fetch,
    getToken: opts.getToken,
    clock: o.clock,
    localId: o.localId,
    ...(opts.maxConcurrentTasks === undefined ? {} : { maxConcurrent: opts.maxConcurrentTasks }),
    ...(opts.maxTaskMs === undefined ? {} : { maxTaskMs: opts.maxTaskMs }),
    onError: (e) => events.emit('error', e),
  });
  return {
    frame(frame: TaskPushFrame): void {
      if (frame.type === 'task-assigned') return runner.assigned(frame.payload);
      const parsed = parseTask(frame.payload);
      if (!parsed.ok) return events.emit('error', { code: 'bad-task', message: parsed.message });
      const localId = o.localId();
      // Pushed to the assignee when the server ended a task it runs: abort it; not a task of ours to report.
      if (parsed.value.targetPeer === localId) runner.ended(parsed.value);
      if (parsed.value.targetPeer !== localId || parsed.value.submitter === localId) events.emit('task-updated', parsed.value);
    },
    running: () => runner.running(),
    stop: (graceMs?: number) => runner.stop(graceMs),
  };
}
