import type { Skill } from '../../protocol/index.ts';
import type { SkillRunOutcome } from '../../web/agents/skills/run-skill.ts';

/**
 * What crosses the worker_threads boundary (comlink): plain data only. Skill failures travel as
 * `{ code, message }` so the `SkillError` code survives (comlink would keep only the message).
 */
export interface SkillWorkerInit {
  /** Built-in skill names to host. */
  builtins: string[];
  /** file: URL of a user skills module, if any. */
  moduleUrl?: string;
}

export type DescribeOutcome = { ok: true; skills: Skill[] } | { ok: false; message: string };

export interface SkillWorkerApi {
  describe(): Promise<DescribeOutcome>;
  /** `onChunk` is a comlink proxy; awaiting it gives streaming natural backpressure. */
  run(callId: number, skill: string, input: unknown, onChunk?: (chunk: unknown) => Promise<void>): Promise<SkillRunOutcome>;
  cancel(callId: number, reason?: string): void;
}
