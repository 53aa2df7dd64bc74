import { beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../protocol/index.ts';
import { getToken } from '../helpers/server-process.ts';
import { AGENT_KEY, echoHost, startPeer, useMeshServer, waitFor, type TestPeer } from './harness.ts';

const env = useMeshServer();
const workerHost = echoHost('queue-worker-agent');
/** Called as each skill run starts on the worker. */
let onRun: (skill: string) => void = () => undefined;

/** JSON over HTTP as `peerId` (its own JWT). */
async function api(method: string, path: string, peerId: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${env.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await getToken(env.server.url, AGENT_KEY, peerId)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

describe('server-queued tasks run by a Node peer (POST /api/tasks → task-assigned → PATCH → task-updated)', () => {
  let worker: TestPeer;
  let submitter: TestPeer;
  let agentId: string;

  beforeAll(async () => {
    worker = await startPeer(env.server, 'queue-worker', {
      host: { ...workerHost, run: (skill, input, ctx) => (onRun(skill), workerHost.run(skill, input, ctx)) },
    });
    submitter = await startPeer(env.server, 'queue-submitter');
    const [agent] = workerHost.agents();
    const reg = await api('POST', '/api/agents', worker.id, {
      // "ghost" is advertised but not hosted: a registry entry that went stale.
      name: agent!.name, skills: [...agent!.skills, { name: 'ghost', description: 'advertised, not hosted' }], platform: 'node',
    });
    expect(reg.status).toBeLessThan(300);
    agentId = reg.body.agent.id;
  });

  const submit = async (requestId: string, skill: string, input: unknown, to?: string) => {
    const done = waitFor(submitter.mesh, 'task-updated', (t) => t.requestId === requestId);
    const res = await api('POST', '/api/tasks', submitter.id, { skill, input, requestId, ...(to ? { to } : {}) });
    expect(res.status).toBe(201);
    expect(res.body.task).toMatchObject({ state: 'assigned', targetPeer: worker.id });
    return { created: res.body.task as Task, pushed: (await done)! };
  };

  it('completes a task routed by skill and pushes the result to the submitter', async () => {
    const { created, pushed } = await submit('echo-1', 'echo', { hello: 'queue' });
    expect(pushed).toMatchObject({ id: created.id, state: 'completed', output: { hello: 'queue' }, submitter: submitter.id });
    expect(workerHost.runs).toContain('echo');
    const stored = await api('GET', `/api/tasks/${created.id}`, submitter.id);
    expect(stored.body.task).toMatchObject({ state: 'completed', output: { hello: 'queue' } });
  });

  it('fails a task whose skill throws, with the skill\'s code and message', async () => {
    const { pushed } = await submit('fail-1', 'fail', null, agentId);
    expect(pushed).toMatchObject({ state: 'failed', error: { code: 'nope', message: 'this skill always fails' } });
    expect(pushed.output).toBeUndefined();
  });

  it('fails a task for a skill the agent advertised but does not host', async () => {
    const { pushed } = await submit('missing-1', 'ghost', 1, agentId);
    expect(pushed).toMatchObject({ state: 'failed', error: { code: 'unknown-skill' } });
  });

  it('runs many queued tasks and reports every one', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `many-${i}`);
    const results = await Promise.all(ids.map((id, i) => submit(id, 'echo', { i })));
    expect(results.map((r) => r.pushed.output)).toEqual(ids.map((_, i) => ({ i })));
    expect(results.every((r) => r.pushed.state === 'completed')).toBe(true);
  });

  it('reports a task cut short by stop() as failed `stopped` instead of leaving it assigned', async () => {
    const done = waitFor(submitter.mesh, 'task-updated', (t) => t.requestId === 'hang-1');
    const running = new Promise<void>((resolve) => (onRun = (skill) => skill === 'hang' && resolve()));
    const res = await api('POST', '/api/tasks', submitter.id, { skill: 'hang', input: null, requestId: 'hang-1', to: agentId });
    await running;
    await worker.mesh.stop();
    expect(await done).toMatchObject({ id: res.body.task.id, state: 'failed', error: { code: 'stopped' } });
  });
});
