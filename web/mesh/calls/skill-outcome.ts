import { SkillError } from '../agent-host.ts';
import { MeshError } from '../errors.ts';

/**
 * How a skill run ends, shared by the two ways a peer runs skills: MeshMessages from peers
 * (message-router) and tasks pushed by the server (task-runner).
 */

/** A thrown value as the wire's `{ code, message }` (code ≤ 64 chars, message ≤ 4000). */
export function errorPayload(err: unknown): { code: string; message: string } {
  if (err instanceof SkillError || err instanceof MeshError) return { code: err.code.slice(0, 64) || 'skill-failed', message: err.message.slice(0, 4000) };
  // Only plain data crosses worker boundaries: an error may arrive as { name, code, message }.
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' && e.code ? e.code.slice(0, 64) : 'skill-failed';
  return { code, message: String(typeof e?.message === 'string' ? e.message : err).slice(0, 4000) };
}

/** What `AgentHost.run` gets besides skill and input. */
export interface RunContext {
  readonly signal: AbortSignal;
  onChunk?: (data: unknown) => void;
}

/** A skill run that can be cut short; see `startAbortable`. */
export interface AbortableRun<T> {
  /** The run's outcome; rejects with the abort reason the moment `abort` is called. */
  readonly result: Promise<T>;
  readonly aborted: boolean;
  /** Aborts the skill's signal (if it ever asked for one) and stops waiting for it. Idempotent. */
  abort(reason: unknown): void;
}

/**
 * Starts `run`, handing it a context whose `signal` is made on first read: most skills never
 * look at it, and an AbortController with its listener is the costliest allocation on the task
 * path. The result stops waiting on abort even if the skill ignores its signal.
 */
export function startAbortable<T>(run: (ctx: RunContext) => Promise<T>, onChunk?: (data: unknown) => void): AbortableRun<T> {
  let controller: AbortController | undefined;
  let aborted = false;
  let reason: unknown;
  let reject!: (err: unknown) => void;
  const ctx: RunContext = {
    get signal(): AbortSignal {
      if (!controller) {
        controller = new AbortController();
        if (aborted) controller.abort(reason);
      }
      return controller.signal;
    },
  };
  if (onChunk) ctx.onChunk = onChunk;
  const result = new Promise<T>((resolve, fail) => {
    reject = fail;
    run(ctx).then(resolve, fail);
  });
  return {
    result,
    get aborted() {
      return aborted;
    },
    abort(why) {
      if (aborted) return;
      aborted = true;
      reason = why;
      controller?.abort(why);
      reject(why);
    },
  };
}
