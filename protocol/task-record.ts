import * as v from 'valibot';
import { PeerIdSchema, text } from './common.ts';
import { TASK_STATES } from './control-plane.ts';

/**
 * A task's record and the agent's update to it. Outside the protocol barrel (index.ts re-exports
 * only their types): the browser library checks tasks only in its on-demand task chunk, and a
 * schema the barrel re-exports lands in the library's first load (docs/development.md).
 */

export const TaskErrorSchema = v.object({ code: text(64), message: v.pipe(v.string(), v.maxLength(4000)) });
export const TaskUpdateSchema = v.object({
  state: v.picklist(['completed', 'failed'], 'must be "completed" or "failed"'),
  output: v.optional(v.unknown()),
  error: v.optional(TaskErrorSchema),
});
export type TaskUpdate = v.InferOutput<typeof TaskUpdateSchema>;

export const TaskSchema = v.object({
  id: v.string(),
  mesh: v.string(),
  requestId: v.string(),
  skill: v.string(),
  input: v.unknown(),
  submitter: PeerIdSchema,
  agentId: v.optional(v.string()),
  targetPeer: v.optional(PeerIdSchema),
  state: v.picklist(TASK_STATES),
  createdAt: v.number(),
  updatedAt: v.number(),
  expiresAt: v.number(),
  output: v.optional(v.unknown()),
  error: v.optional(TaskErrorSchema),
});
export type Task = v.InferOutput<typeof TaskSchema>;
