import type { Hono, MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../http/auth-middleware.ts';
import { HttpError } from '../http/http-error.ts';
import { readJson } from '../http/read-json.ts';
import { TASK_STATES, TaskSubmitSchema, type TaskState } from '../../protocol/index.ts';
import { TaskUpdateSchema } from '../../protocol/task-record.ts';
import type { TaskQueue } from './task-queue.ts';

type Auth = (roles?: Array<'admin' | 'agent'>) => MiddlewareHandler<AuthEnv>;

/** /api/tasks: submit (idempotent by requestId), list, get, update by the assignee. */
export function mountTaskRoutes(api: Hono<AuthEnv>, auth: Auth, deps: { tasks: TaskQueue; maxBodyBytes: number }): void {
  const { tasks } = deps;
  api.post('/tasks', auth(), async (c) => {
    const body = await readJson(c, TaskSubmitSchema, deps.maxBodyBytes);
    const { task, created } = await tasks.submit(c.var.auth.mesh, c.var.auth.sub, body);
    return c.json({ task }, created ? 201 : 200);
  });
  api.get('/tasks', auth(), async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !(TASK_STATES as readonly string[]).includes(state)) {
      throw new HttpError(400, 'invalid-query', `state: must be one of ${TASK_STATES.join(', ')}`);
    }
    const limitRaw = c.req.query('limit') ?? '100';
    const limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'invalid-query', 'limit: must be an integer from 1 to 1000');
    const list = await tasks.list(c.var.auth.mesh, { state: state as TaskState | undefined, agent: c.req.query('agent'), skill: c.req.query('skill') });
    return c.json({ tasks: list.slice(0, limit) });
  });
  api.get('/tasks/:id', auth(), async (c) => {
    const task = await tasks.get(c.var.auth.mesh, c.req.param('id'));
    if (!task) throw new HttpError(404, 'not-found', `no task "${c.req.param('id')}"`);
    return c.json({ task });
  });
  api.patch('/tasks/:id', auth(), async (c) => {
    const body = await readJson(c, TaskUpdateSchema, deps.maxBodyBytes);
    return c.json({ task: await tasks.update(c.var.auth.mesh, c.req.param('id'), c.var.auth.sub, body) });
  });
}
