import { defineSkill, type SkillDefinition } from '../skills/skill-definition.ts';
import type { PageInfo } from './worker-api.ts';

/** `page-info`: what the hosting tab looks like (title, URL without fragment, viewport, visibility...). */
export function createPageInfoSkill(probe: () => Promise<PageInfo> | PageInfo): SkillDefinition {
  return defineSkill<unknown>({
    name: 'page-info',
    description: "Describes the browser tab hosting this agent: title, URL, language, viewport, visibility, online state.",
    // Takes no input; whatever a caller sends (nothing, null, {}) is ignored.
    inputSchema: {},
    handler: async () => probe(),
  }) as SkillDefinition;
}
