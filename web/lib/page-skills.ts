import type { AgentInfo, Skill } from '../../protocol/index.ts';
import { SkillError, type AgentHost } from '../mesh/agent-host.ts';
import { checkSchema, type InputSchema } from '../agents/skills/input-schema.ts';
import { runSkill } from '../agents/skills/run-skill.ts';
import { describeSkill, defineSkill, type SkillContext, type SkillDefinition } from '../agents/skills/skill-definition.ts';

/**
 * A skill written in the page: a function (async, or an `async function*` that streams), or an
 * object naming its description and input schema. Runs on the page's main thread. (`never`:
 * a function taking any input type fits; the skill's inputSchema, not TypeScript, checks it.)
 */
export type PageSkill =
  | ((input: never, ctx: SkillContext) => unknown)
  | { description?: string; inputSchema?: InputSchema; streaming?: boolean; handler: (input: never, ctx: SkillContext) => unknown };

const SKILL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Checks and describes the page's skills; throws a TypeError naming the skill and the rule. */
export function pageSkillDefinitions(skills: Record<string, PageSkill>): SkillDefinition[] {
  return Object.entries(skills).map(([name, s]) => {
    if (!SKILL_NAME.test(name)) throw new TypeError(`skills["${name}"]: a skill name must be 1-64 chars of a-z 0-9 _ . -`);
    const spec = typeof s === 'function' ? { handler: s } : s;
    if (typeof spec?.handler !== 'function') throw new TypeError(`skills["${name}"]: must be a function or { handler: function }`);
    const schema = 'inputSchema' in spec ? spec.inputSchema : undefined;
    const problem = schema === undefined ? undefined : checkSchema(schema, `skills["${name}"].inputSchema`);
    if (problem) throw new TypeError(problem);
    // Like a skills module's exports, a bare function may carry its description as a property.
    const own = 'description' in spec ? spec.description : (spec.handler as { description?: unknown }).description;
    const description = typeof own === 'string' && own !== '' ? own : name;
    return defineSkill({
      name,
      description,
      inputSchema: schema ?? {},
      ...('streaming' in spec && spec.streaming !== undefined ? { streaming: spec.streaming } : {}),
      handler: spec.handler as SkillDefinition['handler'],
    });
  });
}

/** An AgentHost for skills that run in the page itself (one agent named `agent`). */
export function pageAgentHost(agent: string, defs: SkillDefinition[], env: Record<string, string> = {}): AgentHost {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const info: AgentInfo = { name: agent, skills: defs.map(describeSkill) as Skill[], platform: 'browser' };
  return {
    agents: () => (defs.length ? [info] : []),
    run(skill, input, ctx) {
      const def = byName.get(skill);
      if (!def) return Promise.reject(new SkillError('unknown-skill', `this page has no skill "${skill}"`));
      return runSkill(def, input, { signal: ctx.signal, env, ...(ctx.onChunk ? { onChunk: ctx.onChunk } : {}) });
    },
    close: async () => undefined,
  };
}

/** Several hosts as one: `run` goes to the first that offers the skill. */
export function combineHosts(hosts: AgentHost[]): AgentHost {
  return {
    agents: () => hosts.flatMap((h) => h.agents()),
    run(skill, input, ctx) {
      const host = hosts.find((h) => h.agents().some((a) => a.skills.some((s) => s.name === skill)));
      if (!host) return Promise.reject(new SkillError('unknown-skill', `this page has no skill "${skill}"`));
      return host.run(skill, input, ctx);
    },
    async close() {
      await Promise.all(hosts.map((h) => h.close()));
    },
  };
}
