import type { AgentInfo, Skill } from '../../protocol/index.ts';
import { checkInput, checkSchema, type InputSchema } from '../../web/agents/skills/input-schema.ts';
import { SkillError, type AgentHost } from '../../web/mesh/index.ts';
import { LocalApiError } from './errors.ts';

/** Runs one skill of an agent registered through the local API (forwards it to its process). */
export type LocalSkillRunner = AgentHost['run'];

/** An AgentHost whose agent list grows and shrinks as local processes register and leave. */
export interface DynamicAgentHost extends AgentHost {
  /** Adds an agent; throws LocalApiError `agent-taken` / `skill-taken` when a name is in use. */
  add(name: string, skills: Skill[], run: LocalSkillRunner): AgentInfo;
  /** Removes a local agent (no-op for unknown names); its skills are gone at once. */
  remove(name: string): boolean;
  /** Calls `fn` after each add or remove, and when the base's skills change (a `watch` request reports it); returns the unsubscribe. */
  onChange(fn: () => void): () => void;
}

/**
 * Wraps the node's own host (worker threads) and adds agents served by local-API clients. A
 * skill name belongs to one agent on the node: the mesh addresses a peer's skill by name alone.
 */
export function createDynamicAgentHost(base: AgentHost, onBaseChange?: (fn: () => void) => void): DynamicAgentHost {
  const local = new Map<string, { info: AgentInfo; run: LocalSkillRunner }>();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((fn) => fn());
  // The base's skills change too (an --mcp-server went down or came back).
  onBaseChange?.(changed);
  const owner = new Map<string, string>();
  const baseSkills = (): Set<string> => new Set(base.agents().flatMap((a) => a.skills.map((s) => s.name)));
  return {
    agents: () => [...base.agents(), ...[...local.values()].map((l) => l.info)],
    async run(skill, input, ctx) {
      const name = owner.get(skill);
      if (name === undefined) return base.run(skill, input, ctx);
      const entry = local.get(name)!;
      // Checked here as run-skill.ts checks worker skills: the process only sees input its schema allows.
      const schema = entry.info.skills.find((s) => s.name === skill)!.inputSchema;
      const problem = schema === undefined ? undefined : checkInput(schema as InputSchema, input);
      if (problem) throw new SkillError('bad-input', `${skill}: ${problem}`);
      return entry.run(skill, input, ctx);
    },
    add(name, skills, run) {
      if (local.has(name) || base.agents().some((a) => a.name === name)) throw new LocalApiError('agent-taken', `agent: "${name}" already runs on this node; pick another name`);
      const seen = new Set<string>();
      const builtin = baseSkills();
      for (const [i, s] of skills.entries()) {
        const schemaProblem = s.inputSchema === undefined ? undefined : checkSchema(s.inputSchema, `skills[${i}].inputSchema`);
        if (schemaProblem) throw new LocalApiError('bad-request', schemaProblem);
        if (seen.has(s.name)) throw new LocalApiError('bad-request', `skills: "${s.name}" is listed twice`);
        seen.add(s.name);
        const taken = owner.get(s.name) ?? (builtin.has(s.name) ? 'the node itself' : undefined);
        if (taken !== undefined) throw new LocalApiError('skill-taken', `skills: "${s.name}" is already served on this node by ${taken === 'the node itself' ? taken : `agent "${taken}"`}`);
      }
      const info: AgentInfo = { name, skills, platform: 'node' };
      local.set(name, { info, run });
      for (const s of skills) owner.set(s.name, name);
      changed();
      return info;
    },
    remove(name) {
      const entry = local.get(name);
      if (!entry) return false;
      local.delete(name);
      for (const s of entry.info.skills) owner.delete(s.name);
      changed();
      return true;
    },
    onChange(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    close: () => base.close(),
  };
}

/** What a remote caller sees when a local process left while serving its call. */
export const agentGone = (agent: string, skill: string): SkillError =>
  new SkillError('agent-gone', `the local process serving skill "${skill}" (agent "${agent}") disconnected mid-call`);
