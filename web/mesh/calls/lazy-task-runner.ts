import { lazyModule } from '../lazy-module.ts';
import type { TaskRunner, TaskRunnerOptions } from './task-runner.ts';

/**
 * A TaskRunner whose code loads with the first assignment: server-queued tasks are rare next to
 * direct calls, so the browser library and the hub leave the runner out of their first load
 * (docs/browser-library.md "Size"). Pushes that arrive while it loads are handled in arrival order.
 */
export function createLazyTaskRunner(o: TaskRunnerOptions): TaskRunner {
  let real: TaskRunner | undefined;
  let loading: Promise<TaskRunner> | undefined;
  const report = (err: unknown) => o.onError?.({ code: 'task-runner-unavailable', message: `could not load the task runner: ${err instanceof Error ? err.message : String(err)}` });
  // A failed fetch of the chunk (offline): the next assignment tries again.
  const runner = lazyModule(() => import('./task-runner.ts').then((m) => (real = m.createTaskRunner(o))));
  const load = () => (loading = runner());
  return {
    assigned(payload) {
      if (real) return real.assigned(payload);
      load().then((r) => r.assigned(payload), report);
    },
    ended(task) {
      // Before the runner exists no task of ours runs; while it loads, end it after the queued assignments.
      if (real) return real.ended(task);
      loading?.then((r) => r.ended(task), () => undefined);
    },
    running: () => real?.running() ?? 0,
    async stop(graceMs) {
      const r = real ?? (await loading?.catch(() => undefined));
      await r?.stop(graceMs);
    },
  };
}
