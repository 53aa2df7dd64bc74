import type { Logger } from '../ops/logger.ts';
import type { ServerFrame, Task } from '../../protocol/index.ts';

export interface TaskPush {
  /** What the task queue calls: assignments go through the delivery claim, other frames straight out. */
  push(mesh: string, peerId: string, frame: ServerFrame): void;
  /** The cluster's `deliver` handler: frames from other instances for sockets here. */
  deliver(mesh: string, peerId: string, frame: ServerFrame): void;
}

export interface TaskPushOptions {
  /** Sends to a socket on this instance, or forwards to the instance holding it (the hub's `push`). */
  route(mesh: string, peerId: string, frame: ServerFrame): void;
  /** Writes to a socket on this instance only (the hub's cluster `deliver`). */
  sendLocal(mesh: string, peerId: string, frame: ServerFrame): void;
  isLocal(mesh: string, peerId: string): boolean;
  /** The task queue's `claimDelivery`: true for the first caller per task. */
  claim(task: Task): Promise<boolean>;
  logger: Logger;
}

/**
 * `task-assigned` reaches an agent at most once: the instance holding the agent's socket claims
 * the task's delivery in the store before writing the frame. Pushes may then be repeated freely
 * (the queue's sweep re-pushes assignments nobody claimed, e.g. lost with pub/sub while Redis
 * restarted, or sent while the agent was between sockets) without running a task twice.
 */
export function createTaskPush(o: TaskPushOptions): TaskPush {
  const assignLocally = (mesh: string, peerId: string, frame: ServerFrame) => {
    const task = (frame as { payload: Task }).payload;
    void o.claim(task)
      .then((first) => first && o.sendLocal(mesh, peerId, frame))
      // Unclaimed on a store error: the next sweep pushes it again.
      .catch((err: unknown) => o.logger.warn('task assignment not delivered', { err, task: task.id }));
  };
  return {
    push(mesh, peerId, frame) {
      if (frame.type === 'task-assigned' && o.isLocal(mesh, peerId)) return assignLocally(mesh, peerId, frame);
      o.route(mesh, peerId, frame);
    },
    deliver(mesh, peerId, frame) {
      if (frame.type !== 'task-assigned') return o.sendLocal(mesh, peerId, frame);
      // Every instance hears the forward; only the one holding the socket claims it.
      if (o.isLocal(mesh, peerId)) assignLocally(mesh, peerId, frame);
    },
  };
}
