import { browserChatSkill } from '../browser/chat-skill.ts';
import { echoSkill } from './echo.ts';
import { llmConfigured } from './llm-config.ts';
import { llmSkill } from './llm.ts';
import type { SkillDefinition } from './skill-definition.ts';
import { timeSkill } from './time.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One built-in skill and whether a peer hosts it when no explicit list is given. */
export interface BuiltinSkill {
  skill: SkillDefinition;
  byDefault(env: Env): boolean;
}

const always = () => true;

/**
 * The registry of built-in skills that run the same in a browser Worker and a Node worker_thread:
 * a new portable built-in is one line here (the browser's `basic` agent and `tabmesh node` both
 * read it). Node-only built-ins extend it in headless-node/skills/node-skills.ts.
 */
export const PORTABLE_BUILTINS: readonly BuiltinSkill[] = [
  { skill: echoSkill as SkillDefinition, byDefault: always },
  { skill: timeSkill as SkillDefinition, byDefault: always },
  { skill: llmSkill as SkillDefinition, byDefault: llmConfigured },
  // The hub's chat (llm when configured, else an echo) is platform-neutral.
  { skill: browserChatSkill, byDefault: always },
];

/** The skills of `registry` a peer hosts by default in `env`, in registry order. */
export function defaultBuiltins(registry: readonly BuiltinSkill[], env: Env): SkillDefinition[] {
  return registry.filter((b) => b.byDefault(env)).map((b) => b.skill);
}
