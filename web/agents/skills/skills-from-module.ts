import { checkSchema, type InputSchema } from './input-schema.ts';
import { defineSkill, type SkillContext, type SkillDefinition } from './skill-definition.ts';

/** A skills module that cannot be used, with the module and export named in the message. */
export class SkillsModuleError extends Error {
  override name = 'SkillsModuleError';
}

const SKILL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** `fetchUrl` → `fetch-url`: export names are camelCase, skill names kebab-case. */
export function skillNameFromExport(exportName: string): string {
  return exportName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
}

type ExportedSkill = ((input: unknown, ctx: SkillContext) => unknown) & { description?: unknown; inputSchema?: unknown; skillName?: unknown; streaming?: unknown };

/**
 * Turns a user module's exports into skills: every exported function with a `description`
 * property is a skill named after the export (camelCase → kebab-case, or its `skillName`);
 * `inputSchema` is optional (default: any input). Other exports are ignored. Throws
 * `SkillsModuleError` naming the export and the rule.
 */
export function skillsFromModule(exports: Record<string, unknown>, source: string): SkillDefinition[] {
  const skills: SkillDefinition[] = [];
  // Sorted so the advertised order does not depend on the module loader.
  for (const [exportName, value] of Object.entries(exports).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof value !== 'function') continue;
    const fn = value as ExportedSkill;
    const where = `${source}: export "${exportName}"`;
    if (exportName === 'default') throw new SkillsModuleError(`${where}: use named exports; the export name is the skill name`);
    if (typeof fn.description !== 'string' || fn.description.trim() === '') {
      throw new SkillsModuleError(`${where}: needs a "description" string property (${exportName}.description = '…')`);
    }
    if (fn.description.length > 1000) throw new SkillsModuleError(`${where}: description must be at most 1000 characters`);
    const name = fn.skillName === undefined ? skillNameFromExport(exportName) : fn.skillName;
    if (typeof name !== 'string' || !SKILL_NAME.test(name)) {
      throw new SkillsModuleError(`${where}: skill name "${String(name)}" must be 1-64 chars of a-z 0-9 _ . - (set ${exportName}.skillName)`);
    }
    const schemaProblem = fn.inputSchema === undefined ? undefined : checkSchema(fn.inputSchema);
    if (schemaProblem) throw new SkillsModuleError(`${where}: ${schemaProblem}`);
    if (skills.some((s) => s.name === name)) throw new SkillsModuleError(`${where}: skill name "${name}" is used twice`);
    skills.push(defineSkill({
      name,
      description: fn.description,
      inputSchema: (fn.inputSchema ?? {}) as InputSchema,
      streaming: fn.streaming === true ? true : undefined,
      handler: fn as SkillDefinition['handler'],
    }));
  }
  if (!skills.length) throw new SkillsModuleError(`${source}: exports no skills (export async functions with a "description" property)`);
  return skills;
}
