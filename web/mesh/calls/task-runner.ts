import type { Task, TaskUpdate } from '../../../protocol/index.ts';
import type { AgentHost } from '../agent-host.ts';
import { createBackoff } from '../../../protocol/backoff.ts';
import { hasBinary } from '../channel/binary-values.ts';
import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';
import { errorPayload, startAbortable, type AbortableRun } from './skill-outcome.ts';
import { parseTask } from './task-payload.ts';

export { parseTask } from './task-payload.ts';

/**
 * Runs the tasks the control plane assigns to this peer (`task-assigned` pushes on the
 * signaling socket, i.e. `POST /api/tasks`) on the AgentHost, and reports each outcome with
 * `PATCH /api/tasks/:id`. The server then pushes `task-updated` to the submitter.
 */
export interface TaskRunnerOptions {
  /** Server base URL (http/https). */
  url: string;
  host: AgentHost;
  fetch: typeof fetch;
  /** Bearer token for the PATCH (the mesh's own `getToken`). */
  getToken: () => Promise<string>;
  clock: Clock;
  /** This peer's id; assignments for another peer are ignored. */
  localId: () => string | undefined;
  /** Tasks run at once (default 4); more wait in arrival order. */
  maxConcurrent?: number;
  /** Tasks waiting beyond the running ones (default 256); more are reported failed `busy`. */
  maxQueued?: number;
  /** Cap on one run, ms (default 10 min); the task's own TTL is the other limit. */
  maxTaskMs?: number;
  /** Attempts per result report on network errors, 401 and 5xx (default 4, full-jitter backoff below 250 ms × 2ⁿ). */
  reportAttempts?: number;
  /** Trouble worth logging: a malformed push, a result the server refused. */
  onError?: (e: { code: string; message: string }) => void;
}

export interface TaskRunner {
  /** Handles one `task-assigned` payload (validated here; never throws). */
  assigned(payload: unknown): void;
  /**
   * The server ended a task of ours (a `task-updated` push: cancelled by its submitter, expired):
   * aborts its run (the skill's signal fires with the task's error code) or drops it from the queue.
   */
  ended(task: Task): void;
  /** Tasks running now (for the heartbeat's `load`). */
  running(): number;
  /** Aborts running and queued tasks, reports them failed (`stopped`); waits at most `graceMs` (2000) for the reports. */
  stop(graceMs?: number): Promise<void>;
}

interface Job {
  task: Task;
  /** Local time by which the task expires (its server-side TTL left at assignment, skew-free). */
  deadline: number;
}

const SEEN_MAX = 1024;

/** Creates the runner; feed it `task-assigned` payloads. */
export function createTaskRunner(o: TaskRunnerOptions): TaskRunner {
  const { clock } = o;
  const maxConcurrent = o.maxConcurrent ?? 4;
  const maxQueued = o.maxQueued ?? 256;
  const maxTaskMs = o.maxTaskMs ?? 600_000;
  const attempts = o.reportAttempts ?? 4;
  const base = o.url.replace(/\/+$/, '');
  const queue: Job[] = [];
  const active = new Map<string, AbortableRun<unknown>>();
  /** Runs and result reports under way, so `stop` can wait for them. */
  const work = new Set<Promise<void>>();
  // The server delivers an assignment once, but a sweep may re-push one it could not confirm.
  const seen = new Set<string>();
  let stopped = false;

  const warn = (code: string, message: string) => o.onError?.({ code, message });

  function remember(id: string): boolean {
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value!);
    return true;
  }

  function pump(): void {
    while (!stopped && active.size < maxConcurrent && queue.length) track(run(queue.shift()!));
  }

  async function run(job: Job): Promise<void> {
    const { task } = job;
    const limit = Math.min(maxTaskMs, job.deadline - clock.elapsed());
    // Expired while queued: the server's sweeper marks it; nobody waits for a result any more.
    if (limit <= 0) return;
    const run = startAbortable((ctx) => o.host.run(task.skill, task.input, ctx));
    active.set(task.id, run);
    const timer = clock.set(() => run.abort(new MeshError('timeout', `"${task.skill}" ran longer than ${Math.round(limit)} ms`)), limit);
    let update: TaskUpdate;
    try {
      const output = await run.result;
      update = { state: 'completed', output: output ?? null };
    } catch (err) {
      update = { state: 'failed', error: errorPayload(err) };
    } finally {
      clock.clear(timer);
      active.delete(task.id);
    }
    pump();
    await report(job, update);
  }

  function track(p: Promise<void>): void {
    work.add(p);
    void p.finally(() => work.delete(p));
  }

  /** PATCHes the outcome; a result the server refuses as too large or malformed becomes a failure. */
  async function report(job: Job, update: TaskUpdate): Promise<void> {
    if (update.state === 'completed' && hasBinary(update.output)) {
      return report(job, { state: 'failed', error: { code: 'bad-output', message: 'the output holds binary values, which the task API (JSON) cannot carry; call the skill over the mesh instead' } });
    }
    let body: string;
    try {
      body = JSON.stringify(update);
    } catch (err) {
      return report(job, { state: 'failed', error: { code: 'bad-output', message: `the output is not JSON: ${errorPayload(err).message}` } });
    }
    const endpoint = `${base}/api/tasks/${encodeURIComponent(job.task.id)}`;
    const backoff = createBackoff({ baseMs: 250 });
    for (let attempt = 0; ; attempt++) {
      const res = await patch(endpoint, body);
      if (res.ok || res.status === 404 || res.status === 409) return; // 404/409: gone or already finished
      if ((res.status === 400 || res.status === 413) && update.state === 'completed') {
        return report(job, { state: 'failed', error: { code: res.code === 'output-too-large' ? res.code : 'bad-output', message: res.message } });
      }
      const retryable = res.status === 0 || res.status === 401 || res.status >= 500;
      if (!retryable || attempt + 1 >= attempts || clock.elapsed() >= job.deadline) {
        return warn('task-report-failed', `PATCH ${endpoint}: ${res.status || 'network'} ${res.message}`);
      }
      await new Promise<void>((resolve) => clock.set(resolve, backoff.next()));
    }
  }

  async function patch(endpoint: string, body: string): Promise<{ ok: boolean; status: number; code?: string; message: string }> {
    try {
      const res = await o.fetch(endpoint, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${await o.getToken()}`, 'content-type': 'application/json' },
        body,
      });
      const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      return { ok: res.ok, status: res.status, ...(json?.error?.code ? { code: json.error.code } : {}), message: json?.error?.message ?? res.statusText };
    } catch (err) {
      return { ok: false, status: 0, message: errorPayload(err).message };
    }
  }

  return {
    assigned(payload) {
      const parsed = parseTask(payload);
      if (!parsed.ok) return warn('bad-task', parsed.message);
      const task = parsed.value;
      if (stopped || task.state !== 'assigned' || task.targetPeer !== o.localId() || !remember(task.id)) return;
      const job = { task, deadline: clock.elapsed() + Math.max(0, task.expiresAt - task.updatedAt) };
      if (queue.length >= maxQueued) {
        return track(report(job, { state: 'failed', error: { code: 'busy', message: `peer has ${maxQueued} tasks waiting; try another agent` } }));
      }
      queue.push(job);
      pump();
    },
    ended(task) {
      const reason = MeshError.withCode(task.error?.code ?? task.state, task.error?.message ?? `the task ${task.state} on the server`);
      active.get(task.id)?.abort(reason);
      const queued = queue.findIndex((j) => j.task.id === task.id);
      if (queued >= 0) queue.splice(queued, 1);
    },
    running: () => active.size,
    async stop(graceMs = 2000) {
      if (stopped) return;
      stopped = true;
      const stopping = { state: 'failed' as const, error: { code: 'stopped', message: 'the peer is stopping' } };
      for (const job of queue.splice(0)) track(report(job, stopping));
      for (const run of active.values()) run.abort(new MeshError('stopped', 'the peer is stopping'));
      let timer: unknown;
      await Promise.race([Promise.allSettled([...work]), new Promise((r) => (timer = clock.set(() => r(undefined), graceMs)))]);
      clock.clear(timer);
    },
  };
}
