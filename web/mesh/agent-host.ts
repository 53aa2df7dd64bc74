import type { AgentInfo } from '../../protocol/index.ts';

/**
 * The seam between the mesh core and the agents a peer hosts. The core receives `task-request`
 * and `chat` MeshMessages and calls `run`; the host runs the skill somewhere else (Web Worker in
 * the browser, worker_thread on Node) and reports chunks for streaming skills. Only plain data
 * and error names cross this boundary.
 */
export interface AgentHost {
  /** The agents (with skills) this peer offers; answers `skill-query`. */
  agents(): AgentInfo[];
  /**
   * Runs `skill` with `input`. Streaming skills call `onChunk` per piece (in order) and resolve
   * with the final output (may be undefined). Rejects with `SkillError` for skill failures.
   *
   * Contract with the mesh core (web/mesh/routing/message-router.ts):
   * - `onChunk` is present only when the caller asked to stream (`task-request` with
   *   `stream: true`, and always for chat). Without it a streaming skill resolves with its
   *   collected output instead (e.g. the array of chunks, or the joined text).
   * - `signal` aborts on the caller's `cancel`, on the task timeout (the caller's `timeoutMs`,
   *   capped by the peer's `maxTaskMs`), when the caller leaves the mesh, and on `mesh.stop()`.
   *   The core stops waiting at that moment even if the skill ignores the signal.
   * - Unknown skills reject with `SkillError('unknown-skill', ...)`. Any other thrown value
   *   becomes `task-error` with its string `code` if it has one, else `skill-failed`.
   * - Chat: a `chat` MeshMessage runs the skill named `CHAT_SKILL` ("chat") with input
   *   `{ text, from, agent? }` (`from` = the asking peer, `agent` = the agent name it addressed).
   *   Each `onChunk` value (a string, or `{ text }`) goes out as a `chat-chunk`; the resolved
   *   value is sent as the text of the final chunk only when nothing was streamed.
   */
  run(skill: string, input: unknown, ctx: { signal: AbortSignal; onChunk?: (data: unknown) => void }): Promise<unknown>;
  /** Releases workers. */
  close(): Promise<void>;
}

/** The skill a `chat` MeshMessage runs (see `AgentHost.run`). */
export const CHAT_SKILL = 'chat';

/** A skill failure that crosses the wire as `task-error` with `code`. */
export class SkillError extends Error {
  override name = 'SkillError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
