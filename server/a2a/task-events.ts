import type { Task } from '../../protocol/index.ts';

/** In-process fan-out of task transitions by task id (the task queue's `onTransition` feeds it). */
export interface TaskEvents {
  emit(task: Task): void;
  /** Calls `fn` on every transition of task `id` until the returned function is called. */
  watch(id: string, fn: (task: Task) => void): () => void;
}

export function createTaskEvents(): TaskEvents {
  const watchers = new Map<string, Set<(task: Task) => void>>();
  return {
    emit(task) {
      for (const fn of watchers.get(task.id) ?? []) fn(task);
    },
    watch(id, fn) {
      const set = watchers.get(id) ?? new Set();
      watchers.set(id, set.add(fn));
      return () => {
        set.delete(fn);
        if (!set.size) watchers.delete(id);
      };
    },
  };
}
