import { echoSkill } from './echo.ts';
import { llmSkill } from './llm.ts';
import type { SkillDefinition } from './skill-definition.ts';
import { timeSkill } from './time.ts';

/** Skills that run the same in a browser Worker and a Node worker_thread. */
export const PORTABLE_SKILLS: readonly SkillDefinition[] = [echoSkill, timeSkill, llmSkill] as SkillDefinition[];
