/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { AgentInfo, Skill } from '../../../protocol/index.ts';
import { SkillError, type AgentHost } from '../../mesh/agents.ts';
import { defaultBuiltins, PORTABLE_BUILTINS } from '../skills/builtin-skills.ts';
import { runSkill } from '../skills/run-skill.ts';
import { skillsFromModule } from '../skills/skills-from-module.ts';
import { describeSkill, type SkillDefinition } from '../skills/skill-definition.ts';
import { createPageInfoSkill } from './page-info-skill.ts';
import type { AgentWorkerApi, PageProbe, WorkerRunResult } from './worker-api.ts';
import { hostAgentChannels } from './worker-channel-host.ts';

/** The browser's built-in agents, by name: which skills each worker runs. */
const AGENTS: Record<string, (env: Record<string, string>, probe: PageProbe) => SkillDefinition[]> = {
  basic: (env) => defaultBuiltins(PORTABLE_BUILTINS, env),
  page: (_env, probe) => [createPageInfoSkill(() => probe.pageInfo())],
};

let skills = new Map<string, SkillDefinition>();
let env: Record<string, string> = {};
let info: AgentInfo | undefined;
const runs = new Map<number, AbortController>();

/** This agent's skills as an AgentHost: what both the bridge (`api.run`) and agent channels run. */
const local: AgentHost = {
  agents: () => (info ? [info] : []),
  run(name, input, ctx) {
    const def = skills.get(name);
    if (!def) return Promise.reject(new SkillError('unknown-skill', `no skill "${name}" in this agent`));
    return runSkill(def, input, { signal: ctx.signal, env, ...(ctx.onChunk ? { onChunk: ctx.onChunk } : {}) });
  },
  close: async () => undefined,
};
const channels = hostAgentChannels(self, () => (info ? { info, host: local } : undefined));

const api: AgentWorkerApi = {
  async init(agent, agentEnv, probe, moduleUrl) {
    const make = AGENTS[agent];
    if (!make && moduleUrl === undefined) throw new Error(`unknown browser agent "${agent}"`);
    env = agentEnv;
    // A page's own skills module (the browser library's `workers` option), loaded like any module.
    const defs = moduleUrl === undefined ? make!(env, probe) : skillsFromModule((await import(/* @vite-ignore */ moduleUrl)) as Record<string, unknown>, moduleUrl);
    skills = new Map(defs.map((s) => [s.name, s]));
    const described = [...skills.values()].map(describeSkill) as Skill[];
    info = { name: agent, skills: described, platform: 'browser' };
    return described;
  },
  async run(runId, name, input, onChunk): Promise<WorkerRunResult> {
    const ctl = new AbortController();
    runs.set(runId, ctl);
    try {
      // runSkill awaits what onChunk returns: a chunk crosses the bridge before the next is made.
      const output = await local.run(name, input, { signal: ctl.signal, ...(onChunk ? { onChunk } : {}) });
      return { ok: true, output };
    } catch (err) {
      const e = err instanceof SkillError ? err : new SkillError('skill-failed', String(err));
      return { ok: false, code: e.code, message: e.message };
    } finally {
      runs.delete(runId);
    }
  },
  cancel(runId, reason) {
    runs.get(runId)?.abort(reason ?? 'cancelled');
  },
  channelStats: () => channels.stats(),
};

Comlink.expose(api);
