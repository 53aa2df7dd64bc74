import { beforeEach, describe, expect, it } from 'vitest';
import { attachFakePeer } from '../helpers/fake-socket.ts';
import { createTestApp, type TestApp } from '../helpers/in-process.ts';
import { idFor } from '../helpers/test-identity.ts';

const agent = { name: 'worker', platform: 'node', skills: [{ name: 'echo' }] };

describe('tasks', () => {
  let t: TestApp;
  let submitter: string;
  let worker: string;
  beforeEach(async () => {
    t = await createTestApp();
    submitter = await t.token('sub');
    worker = await t.token('wrk');
  });

  it('pushes the assignment to the agent and the result to the submitter', async () => {
    const w = await attachFakePeer(t.server, worker);
    const s = await attachFakePeer(t.server, submitter);
    await t.call('POST', '/api/agents', { token: worker, body: agent });
    const sub = await t.call('POST', '/api/tasks', { token: submitter, body: { skill: 'echo', input: { x: 1 }, requestId: 'r1' } });
    expect(sub.status).toBe(201);
    expect(sub.body.task).toMatchObject({ state: 'assigned', agentId: `${idFor('wrk')}:worker`, targetPeer: idFor('wrk') });
    const assigned = await w.next('task-assigned');
    expect(assigned.payload).toMatchObject({ id: sub.body.task.id, input: { x: 1 } });
    // Only the assignee may finish it.
    const forbidden = await t.call('PATCH', `/api/tasks/${sub.body.task.id}`, { token: submitter, body: { state: 'completed', output: 1 } });
    expect(forbidden.status).toBe(403);
    const done = await t.call('PATCH', `/api/tasks/${sub.body.task.id}`, { token: worker, body: { state: 'completed', output: { x: 1 } } });
    expect(done.body.task.state).toBe('completed');
    expect((await s.next('task-updated')).payload).toMatchObject({ state: 'completed', output: { x: 1 } });
    const again = await t.call('PATCH', `/api/tasks/${sub.body.task.id}`, { token: worker, body: { state: 'failed' } });
    expect(again.status).toBe(409);
  });

  it('is idempotent per requestId: a retry returns the same task and creates nothing', async () => {
    const body = { skill: 'echo', input: 1, requestId: 'same' };
    const first = await t.call('POST', '/api/tasks', { token: submitter, body });
    const second = await t.call('POST', '/api/tasks', { token: submitter, body });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.task.id).toBe(first.body.task.id);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => t.call('POST', '/api/tasks', { token: submitter, body: { ...body, requestId: 'race' } })));
    expect(new Set(concurrent.map((r) => r.body.task.id)).size).toBe(1);
    expect((await t.call('GET', '/api/tasks', { token: submitter })).body.tasks).toHaveLength(2);
  });

  it('keeps a task pending until an agent appears, then assigns it on sweep; expires on TTL', async () => {
    const sub = await t.call('POST', '/api/tasks', { token: submitter, body: { skill: 'echo', requestId: 'p1', ttlSeconds: 60 } });
    expect(sub.body.task.state).toBe('pending');
    const w = await attachFakePeer(t.server, worker);
    await t.call('POST', '/api/agents', { token: worker, body: agent });
    await t.server.sweep();
    expect((await w.next('task-assigned')).payload.id).toBe(sub.body.task.id);
    const lonely = await t.call('POST', '/api/tasks', { token: submitter, body: { skill: 'nobody-has-this', requestId: 'p2', ttlSeconds: 1 } });
    const s = await attachFakePeer(t.server, submitter);
    t.clock.advance(1001);
    await t.server.sweep();
    expect((await s.next('task-updated')).payload).toMatchObject({ id: lonely.body.task.id, state: 'expired' });
    // The assigned one outlives its TTL: its agent is told too, so it stops running it.
    for (let i = 0; i < 4; i++) {
      t.clock.advance(15_000);
      // Heartbeats keep the agent connected while the clock runs past the task's TTL.
      await t.call('POST', '/api/heartbeat', { token: worker, body: { load: 1 } });
    }
    await t.server.sweep();
    expect((await w.next('task-updated')).payload).toMatchObject({ id: sub.body.task.id, state: 'expired', targetPeer: idFor('wrk') });
  });

  it('validates bodies, sizes, filters and the per-peer cap', async () => {
    const bad = await t.call('POST', '/api/tasks', { token: submitter, body: { skill: 'echo' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^requestId: /);
    const huge = await t.call('POST', '/api/tasks', { token: submitter, body: { skill: 'echo', requestId: 'h', input: 'x'.repeat(300_000) } });
    expect(huge.status).toBe(413);
    expect((await t.call('GET', '/api/tasks?state=bogus', { token: submitter })).status).toBe(400);
    expect((await t.call('GET', '/api/tasks/does-not-exist', { token: submitter })).status).toBe(404);
    expect((await t.call('POST', '/api/tasks', { token: submitter, body: { skill: 'echo', requestId: 'z', to: 'ghost:agent' } })).status).toBe(404);
    const capped = await createTestApp();
    const tok = await capped.token('cap');
    // The default cap is 100 open tasks per peer.
    for (let i = 0; i < 100; i++) expect((await capped.call('POST', '/api/tasks', { token: tok, body: { skill: 'x', requestId: `c${i}` } })).status).toBe(201);
    const over = await capped.call('POST', '/api/tasks', { token: tok, body: { skill: 'x', requestId: 'c100' } });
    expect(over.status).toBe(429);
    expect((await t.call('GET', '/api/tasks?state=pending&skill=echo', { token: submitter })).body.tasks).toEqual([]);
  });
});
