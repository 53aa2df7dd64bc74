/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { Skill } from '../../../server/protocol.ts';
import { SkillError } from '../../mesh/agent-host.ts';
import { echoSkill } from '../skills/echo.ts';
import { llmSkill } from '../skills/llm.ts';
import { llmConfigured } from '../skills/llm-config.ts';
import { runSkill } from '../skills/run-skill.ts';
import { describeSkill, type SkillDefinition } from '../skills/skill-definition.ts';
import { timeSkill } from '../skills/time.ts';
import { browserChatSkill } from './chat-skill.ts';
import { createPageInfoSkill } from './page-info-skill.ts';
import type { AgentWorkerApi, PageProbe, WorkerRunResult } from './worker-api.ts';

/** The browser's built-in agents, by name: which skills each worker runs. */
const AGENTS: Record<string, (env: Record<string, string>, probe: PageProbe) => SkillDefinition[]> = {
  basic: (env) => [echoSkill, timeSkill, browserChatSkill, ...(llmConfigured(env) ? [llmSkill as SkillDefinition] : [])] as SkillDefinition[],
  page: (_env, probe) => [createPageInfoSkill(() => probe.pageInfo())],
};

let skills = new Map<string, SkillDefinition>();
let env: Record<string, string> = {};
const runs = new Map<number, AbortController>();

const api: AgentWorkerApi = {
  async init(agent, agentEnv, probe) {
    const make = AGENTS[agent];
    if (!make) throw new Error(`unknown browser agent "${agent}"`);
    env = agentEnv;
    skills = new Map(make(env, probe).map((s) => [s.name, s]));
    return [...skills.values()].map(describeSkill) as Skill[];
  },
  async run(runId, name, input, onChunk): Promise<WorkerRunResult> {
    const def = skills.get(name);
    if (!def) return { ok: false, code: 'unknown-skill', message: `no skill "${name}" in this agent` };
    const ctl = new AbortController();
    runs.set(runId, ctl);
    try {
      const output = await runSkill(def, input, { signal: ctl.signal, env, ...(onChunk ? { onChunk: (c) => onChunk(c) } : {}) });
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
};

Comlink.expose(api);
