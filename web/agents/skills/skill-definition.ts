import type { Skill } from '../../../protocol/index.ts';
import type { InputSchema } from './input-schema.ts';

/** What a running skill gets besides its input. */
export interface SkillContext {
  /** Aborted when the caller cancels or times out; long work should stop promptly. */
  signal: AbortSignal;
  /** Configuration the host hands to skills (process.env on Node, hub settings in the browser). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * A skill: a named async function with a described input. A handler returning an async iterable
 * (an `async function*`) streams: each yielded value is a chunk, the return value the output.
 */
export interface SkillDefinition<I = unknown> {
  name: string;
  description: string;
  inputSchema: InputSchema;
  /** True when the handler streams; `defineSkill` derives it for async generator functions. */
  streaming: boolean;
  // Method syntax keeps the parameter bivariant so typed skills fit a SkillDefinition list.
  handler(input: I, ctx: SkillContext): Promise<unknown> | AsyncIterable<unknown>;
}

/** Fills `streaming` from the handler's kind unless given. */
export function defineSkill<I>(def: Omit<SkillDefinition<I>, 'streaming'> & { streaming?: boolean }): SkillDefinition<I> {
  return { ...def, streaming: def.streaming ?? isAsyncGeneratorFunction(def.handler) };
}

/** True for `async function*` (their results are async iterables even before the first call). */
export function isAsyncGeneratorFunction(fn: unknown): boolean {
  return typeof fn === 'function' && Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]';
}

/** The wire description of a skill (what `skill-list` and the registry carry). */
export function describeSkill(def: SkillDefinition): Skill {
  return { name: def.name, description: def.description, inputSchema: { ...def.inputSchema }, streaming: def.streaming };
}
