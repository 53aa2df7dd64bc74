import { SkillError } from './agent-host.ts';
import { MeshError } from './errors.ts';

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

/** Rejects with the signal's reason as soon as it aborts, even if `p` ignores the signal. */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
