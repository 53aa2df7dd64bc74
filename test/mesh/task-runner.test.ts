import { describe, expect, it, vi } from 'vitest';
import type { Task } from '../../protocol/index.ts';
import { SkillError, type AgentHost } from '../../web/mesh/agent-host.ts';
import type { MeshError } from '../../web/mesh/errors.ts';
import { clockOf, type MeshPlatform } from '../../web/mesh/platform.ts';
import { createTaskRunner, type TaskRunnerOptions } from '../../web/mesh/calls/task-runner.ts';

// Unit tests of the runner's own logic (queueing, dedupe, report rules) with an in-memory
// fetch; server-tasks.test.ts runs it against the real server.

const clock = clockOf({ now: Date.now } as MeshPlatform);

function task(id: string, over: Partial<Task> = {}): Task {
  const t = Date.now();
  return {
    id, mesh: 'm', requestId: `r-${id}`, skill: 'gate', input: id, submitter: 'sub', agentId: 'me:agent',
    targetPeer: 'me', state: 'assigned', createdAt: t, updatedAt: t, expiresAt: t + 60_000, ...over,
  };
}

/** A host whose `gate` skill waits until released; `boom` throws; `loop` returns an unserializable value. */
function gatedHost() {
  const waiting = new Map<string, () => void>();
  const started: string[] = [];
  let notify = () => undefined as void;
  const host: AgentHost = {
    agents: () => [],
    run(skill, input) {
      started.push(String(input));
      notify();
      if (skill === 'boom') return Promise.reject(new SkillError('boom', 'it broke'));
      if (skill === 'loop') {
        const o: Record<string, unknown> = {};
        o.self = o;
        return Promise.resolve(o);
      }
      return new Promise((resolve) => waiting.set(String(input), () => resolve({ done: input })));
    },
    close: async () => undefined,
  };
  const startedCount = (n: number) => new Promise<void>((resolve) => {
    const check = () => started.length >= n && resolve();
    notify = check;
    check();
  });
  return { host, started, release: (id: string) => waiting.get(id)!(), startedCount };
}

/** fetch that records PATCHes and answers with `statuses` in turn (then 200). */
function recordingFetch(statuses: number[] = []) {
  const calls: Array<{ url: string; body: unknown; auth: string | null }> = [];
  const waiters: Array<{ n: number; resolve(): void }> = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    calls.push({ url, body: JSON.parse(String(init.body)), auth: new Headers(init.headers).get('authorization') });
    for (const w of waiters.filter((x) => calls.length >= x.n)) w.resolve();
    const status = statuses.shift() ?? 200;
    const error = status === 413 ? { code: 'output-too-large', message: 'result must be at most 10 bytes of JSON' } : { code: 'x', message: `status ${status}` };
    return new Response(JSON.stringify(status < 300 ? { task: {} } : { error }), { status });
  }) as unknown as typeof globalThis.fetch;
  const reported = (n: number) => new Promise<void>((resolve) => (calls.length >= n ? resolve() : waiters.push({ n, resolve })));
  return { fetch: fetchFn, calls, reported };
}

function runner(fetch: typeof globalThis.fetch, host: AgentHost, over: Partial<TaskRunnerOptions> = {}) {
  const errors: Array<{ code: string; message: string }> = [];
  const r = createTaskRunner({
    url: 'http://server.test/', host, fetch, getToken: async () => 'jwt-1', clock, localId: () => 'me',
    onError: (e) => errors.push(e), ...over,
  });
  return { r, errors };
}

describe('task runner', () => {
  it('runs at most maxConcurrent tasks at once and starts the next as one finishes', async () => {
    const h = gatedHost();
    const f = recordingFetch();
    const { r } = runner(f.fetch, h.host, { maxConcurrent: 2 });
    for (const id of ['a', 'b', 'c', 'd']) r.assigned(task(id));
    await h.startedCount(2);
    expect(h.started).toEqual(['a', 'b']);
    expect(r.running()).toBe(2);
    h.release('a');
    await h.startedCount(3);
    expect(h.started).toEqual(['a', 'b', 'c']);
    await f.reported(1);
    expect(f.calls[0]).toEqual({ url: 'http://server.test/api/tasks/a', body: { state: 'completed', output: { done: 'a' } }, auth: 'Bearer jwt-1' });
    for (const id of ['b', 'c']) h.release(id);
    await h.startedCount(4);
    h.release('d');
    await f.reported(4);
    expect(f.calls.map((c) => c.url.split('/').at(-1)).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(r.running()).toBe(0);
  });

  it('ignores repeats, other peers\' tasks and finished tasks; reports malformed pushes', async () => {
    const h = gatedHost();
    const f = recordingFetch();
    const { r, errors } = runner(f.fetch, h.host);
    r.assigned(task('a'));
    r.assigned(task('a'));
    r.assigned(task('b', { targetPeer: 'someone-else' }));
    r.assigned(task('c', { state: 'completed' }));
    r.assigned({ id: 42, skill: 'gate' });
    r.assigned(null);
    await h.startedCount(1);
    expect(h.started).toEqual(['a']);
    expect(errors.map((e) => e.code)).toEqual(['bad-task', 'bad-task']);
    expect(errors[0]!.message).toMatch(/^task payload id: /);
    h.release('a');
    await f.reported(1);
    expect(f.calls).toHaveLength(1);
  });

  it('reports a skill failure with its code and message', async () => {
    const h = gatedHost();
    const f = recordingFetch();
    const { r } = runner(f.fetch, h.host);
    r.assigned(task('x', { skill: 'boom' }));
    await f.reported(1);
    expect(f.calls[0]!.body).toEqual({ state: 'failed', error: { code: 'boom', message: 'it broke' } });
  });

  it('turns an output the server refuses (413) or cannot encode into a failure', async () => {
    const h = gatedHost();
    const f = recordingFetch([413]);
    const { r } = runner(f.fetch, h.host);
    r.assigned(task('big'));
    await h.startedCount(1);
    h.release('big');
    await f.reported(2);
    expect(f.calls[1]!.body).toEqual({ state: 'failed', error: { code: 'output-too-large', message: 'result must be at most 10 bytes of JSON' } });
    r.assigned(task('cyclic', { skill: 'loop' }));
    await f.reported(3);
    expect(f.calls[2]!.body).toMatchObject({ state: 'failed', error: { code: 'bad-output' } });
  });

  it('retries a report after 5xx and 401, and accepts 409 (already finished) silently', async () => {
    const h = gatedHost();
    const f = recordingFetch([503, 401, 409]);
    const { r, errors } = runner(f.fetch, h.host);
    r.assigned(task('x', { skill: 'boom' }));
    await f.reported(3);
    await r.stop();
    expect(f.calls).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('fails a task that outlives its TTL with `timeout`, and queued/running tasks with `stopped` on stop', async () => {
    const h = gatedHost();
    const f = recordingFetch();
    const { r } = runner(f.fetch, h.host, { maxConcurrent: 1 });
    const t = Date.now();
    r.assigned(task('short', { updatedAt: t, expiresAt: t + 50 }));
    await f.reported(1);
    expect(f.calls[0]!.body).toMatchObject({ state: 'failed', error: { code: 'timeout' } });
    r.assigned(task('run'));
    r.assigned(task('wait'));
    await h.startedCount(2);
    await r.stop();
    expect(f.calls.slice(1).map((c) => [c.url.split('/').at(-1), c.body])).toEqual(expect.arrayContaining([
      ['run', { state: 'failed', error: { code: 'stopped', message: 'the peer is stopping' } }],
      ['wait', { state: 'failed', error: { code: 'stopped', message: 'the peer is stopping' } }],
    ]));
    r.assigned(task('late'));
    expect(h.started).not.toContain('late');
  });

  it('aborts a running task the server ended (the skill\'s signal fires with its code) and drops a queued one', async () => {
    const signals = new Map<string, AbortSignal>();
    const host: AgentHost = {
      agents: () => [],
      run(_skill, input, ctx) {
        signals.set(String(input), ctx.signal);
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
      },
      close: async () => undefined,
    };
    const f = recordingFetch([409]);
    const { r, errors } = runner(f.fetch, host, { maxConcurrent: 1 });
    r.assigned(task('a'));
    r.assigned(task('b'));
    await vi.waitFor(() => expect(signals.has('a')).toBe(true));
    const canceled = { state: 'failed' as const, error: { code: 'canceled', message: 'canceled by the caller' } };
    r.ended(task('b', canceled));
    r.ended(task('a', canceled));
    await vi.waitFor(() => expect(signals.get('a')!.aborted).toBe(true));
    expect((signals.get('a')!.reason as MeshError).code).toBe('canceled');
    await f.reported(1);
    // The late report is refused (409) and accepted quietly; the dropped task never started.
    expect(f.calls.map((c) => c.url)).toEqual(['http://server.test/api/tasks/a']);
    expect([signals.has('b'), r.running(), errors]).toEqual([false, 0, []]);
  });

  it('refuses work beyond the queue bound with `busy`', async () => {
    const h = gatedHost();
    const f = recordingFetch();
    const { r } = runner(f.fetch, h.host, { maxConcurrent: 1, maxQueued: 1 });
    for (const id of ['a', 'b', 'c']) r.assigned(task(id));
    await f.reported(1);
    expect(f.calls[0]).toMatchObject({ url: 'http://server.test/api/tasks/c', body: { state: 'failed', error: { code: 'busy' } } });
    await r.stop();
  });
});
