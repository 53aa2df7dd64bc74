import type { Emitter } from '../emitter.ts';
import type { MeshEvents, MeshOptions } from '../mesh-types.ts';
import type { Clock } from '../platform.ts';
import type { SignalingClient } from '../signaling/signaling-client.ts';
import { createLazyTaskRunner } from './lazy-task-runner.ts';
import { parseTask } from './task-payload.ts';
import type { TaskRunner } from './task-runner.ts';

export interface MeshTasksOptions {
  opts: MeshOptions;
  clock: Clock;
  events: Emitter<MeshEvents>;
  signaling: SignalingClient;
  localId(): string | undefined;
  stopped(): boolean;
}

/** The server-assigned task runner, fed by the task frames the server pushes. */
export function createMeshTasks(o: MeshTasksOptions): TaskRunner {
  const { opts, events } = o;
  const tasks = createLazyTaskRunner({
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
  o.signaling.on('task', (frame) => {
    if (o.stopped()) return;
    if (frame.type === 'task-assigned') return tasks.assigned(frame.payload);
    const parsed = parseTask(frame.payload);
    if (!parsed.ok) return events.emit('error', { code: 'bad-task', message: parsed.message });
    const localId = o.localId();
    // Pushed to the assignee when the server ended a task it runs: abort it; not a task of ours to report.
    if (parsed.value.targetPeer === localId) tasks.ended(parsed.value);
    if (parsed.value.targetPeer !== localId || parsed.value.submitter === localId) events.emit('task-updated', parsed.value);
  });
  return tasks;
}
