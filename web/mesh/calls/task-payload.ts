import { validate } from '../../../protocol/index.ts';
import { TaskSchema, type Task } from '../../../protocol/task-record.ts';

/** A `task-assigned` / `task-updated` payload checked against the protocol's TaskSchema. */
export function parseTask(payload: unknown): { ok: true; value: Task } | { ok: false; message: string } {
  const parsed = validate(TaskSchema, payload);
  return parsed.ok ? parsed : { ok: false, message: `task payload ${parsed.message}` };
}
