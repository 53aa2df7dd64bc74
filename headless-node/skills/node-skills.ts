import { defaultBuiltins, PORTABLE_BUILTINS, type BuiltinSkill } from '../../web/agents/skills/builtin-skills.ts';
import type { SkillDefinition } from '../../web/agents/skills/skill-definition.ts';
import { fetchUrlSkill } from './fetch-url.ts';
import { sysinfoSkill } from './sysinfo.ts';

/**
 * The portable built-ins plus the Node-only ones. fetch-url is opt-in because it makes this
 * machine fetch for others.
 */
const NODE_BUILTINS: readonly BuiltinSkill[] = [
  ...PORTABLE_BUILTINS,
  { skill: sysinfoSkill as SkillDefinition, byDefault: () => true },
  { skill: fetchUrlSkill as SkillDefinition, byDefault: () => false },
];

/** Every built-in skill a Node peer can host, by name. */
export const NODE_BUILTIN_SKILLS: ReadonlyMap<string, SkillDefinition> = new Map(NODE_BUILTINS.map((b) => [b.skill.name, b.skill]));

/**
 * The built-ins hosted when `--skills` is not given: echo, time, sysinfo, chat (answers the hub's
 * chat), then llm when an endpoint is configured.
 */
export function defaultNodeSkills(env: Readonly<Record<string, string | undefined>>): string[] {
  // The order users have seen in `serving …` since the first release; llm, when configured, last.
  const rank = (name: string) => ['echo', 'time', 'sysinfo', 'chat'].indexOf(name) >>> 0;
  return defaultBuiltins(NODE_BUILTINS, env).map((s) => s.name).sort((a, b) => rank(a) - rank(b));
}
