// The hub's chat skill is platform-neutral (llm when configured, else an echo): one definition for both.
import { browserChatSkill } from '../../web/agents/browser/chat-skill.ts';
import { PORTABLE_SKILLS } from '../../web/agents/skills/builtin-skills.ts';
import { llmConfigured } from '../../web/agents/skills/llm-config.ts';
import type { SkillDefinition } from '../../web/agents/skills/skill-definition.ts';
import { fetchUrlSkill } from './fetch-url.ts';
import { sysinfoSkill } from './sysinfo.ts';

/** Every built-in skill a Node peer can host, by name. */
export const NODE_BUILTIN_SKILLS: ReadonlyMap<string, SkillDefinition> = new Map(
  [...PORTABLE_SKILLS, browserChatSkill, sysinfoSkill, fetchUrlSkill as SkillDefinition].map((s) => [s.name, s]),
);

/**
 * The built-ins hosted when `--skills` is not given: echo, time, sysinfo, chat (answers the hub's
 * chat), plus llm when an endpoint is configured. fetch-url is opt-in because it makes this
 * machine fetch for others.
 */
export function defaultNodeSkills(env: Readonly<Record<string, string | undefined>>): string[] {
  return ['echo', 'time', 'sysinfo', 'chat', ...(llmConfigured(env) ? ['llm'] : [])];
}
