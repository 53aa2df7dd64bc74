import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, workerData } from 'node:worker_threads';
import { asSkillError, runSkill, type SkillRunOutcome } from '../../web/agents/skills/run-skill.ts';
import { describeSkill, type SkillDefinition } from '../../web/agents/skills/skill-definition.ts';
import { skillsFromModule } from '../../web/agents/skills/skills-from-module.ts';
import { NODE_BUILTIN_SKILLS } from '../skills/node-skills.ts';
import type { DescribeOutcome, SkillWorkerApi, SkillWorkerInit } from './worker-protocol.ts';

// Entry of one skill worker thread: loads the built-ins and the user module, then serves calls.
const init = workerData as SkillWorkerInit;
const loading = loadSkills(init);
const running = new Map<number, AbortController>();

async function loadSkills({ builtins, moduleUrl }: SkillWorkerInit): Promise<Map<string, SkillDefinition>> {
  const skills = new Map<string, SkillDefinition>();
  for (const name of builtins) {
    const def = NODE_BUILTIN_SKILLS.get(name);
    if (!def) throw new Error(`unknown built-in skill "${name}"`);
    skills.set(name, def);
  }
  if (moduleUrl) {
    const exports = (await import(moduleUrl)) as Record<string, unknown>;
    for (const def of skillsFromModule(exports, decodeURIComponent(new URL(moduleUrl).pathname))) {
      if (skills.has(def.name)) throw new Error(`skills module: "${def.name}" clashes with a built-in skill of the same name`);
      skills.set(def.name, def);
    }
  }
  return skills;
}

const api: SkillWorkerApi = {
  async describe(): Promise<DescribeOutcome> {
    try {
      return { ok: true, skills: [...(await loading).values()].map(describeSkill) };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  },
  async run(callId, skill, input, onChunk): Promise<SkillRunOutcome> {
    const controller = new AbortController();
    running.set(callId, controller);
    try {
      const def = (await loading).get(skill);
      if (!def) return { ok: false, code: 'unknown-skill', message: `no skill "${skill}" on this peer` };
      const output = await runSkill(def, input, { signal: controller.signal, env: process.env, onChunk });
      return { ok: true, output };
    } catch (err) {
      const e = asSkillError(skill, err, controller.signal);
      return { ok: false, code: e.code, message: e.message };
    } finally {
      running.delete(callId);
      (onChunk as Partial<Comlink.ProxyMethods> | undefined)?.[Comlink.releaseProxy]?.();
    }
  },
  cancel(callId, reason) {
    running.get(callId)?.abort(reason);
  },
};

Comlink.expose(api, nodeEndpoint(parentPort!));
