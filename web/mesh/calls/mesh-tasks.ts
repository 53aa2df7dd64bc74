import type { Emitter } from '../emitter.ts';
import { lazyModule } from '../lazy-module.ts';
import type { MeshEvents, MeshOptions } from '../mesh-types.ts';
import type { Clock } from '../platform.ts';
import type { SignalingClient } from '../signaling/signaling-client.ts';
import type { TaskPushFrame } from '../signaling/signaling-types.ts';
import type { TaskFrames } from './task-frames.ts';

export interface MeshTasksOptions {
  opts: MeshOptions;
  clock: Clock;
  events: Emitter<MeshEvents>;
  signaling: SignalingClient;
  localId(): string | undefined;
  stopped(): boolean;
}

export interface MeshTasks {
  /** Tasks running now (for the heartbeat's `load`). */
  running(): number;
  /** As TaskRunner's `stop`: aborts running and queued tasks and reports them failed. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The server-assigned tasks, fed by the task frames the server pushes. Their code (task-frames.ts:
 * the frame checks and the task runner) loads with the first task frame, not with the page: tasks
 * queued on the server are rare next to direct calls (docs/browser-library.md "Size"). Frames that
 * arrive while it loads are handled once, in arrival order; a failed load (offline) reports each of
 * them as `task-runner-unavailable`, and the next frame tries again.
 */
export function createMeshTasks(o: MeshTasksOptions, importIt = () => import('./task-frames.ts')): MeshTasks {
  let real: TaskFrames | undefined;
  let loading: Promise<unknown> | undefined;
  const waiting: TaskPushFrame[] = [];
  const load = lazyModule(importIt);
  const flush = () =>
    (loading = load().then(
      (m) => {
        real ??= m.createTaskFrames(o);
        for (const f of waiting.splice(0)) real.frame(f);
      },
      (err: unknown) => {
        for (const f of waiting.splice(0)) {
          o.events.emit('error', { code: 'task-runner-unavailable', message: `could not load the task runner for a ${f.type} push: ${err instanceof Error ? err.message : String(err)}` });
        }
      },
    ));
  o.signaling.on('task', (frame) => {
    if (o.stopped()) return;
    if (real) return real.frame(frame);
    if (waiting.push(frame) === 1) void flush();
  });
  return {
    running: () => real?.running() ?? 0,
    async stop(graceMs) {
      await loading;
      await real?.stop(graceMs);
    },
  };
}
