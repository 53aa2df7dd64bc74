import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { AgentInfo, Skill } from '../../protocol/index.ts';
import type { AgentHost } from '../../web/mesh/index.ts';
import { NODE_BUILTIN_SKILLS } from '../skills/node-skills.ts';
import { SkillLoadError, WorkerSlot } from './worker-slot.ts';

export interface WorkerAgentHostOptions {
  /** Agent name advertised to the mesh. */
  name: string;
  /** Built-in skills to host (see NODE_BUILTIN_SKILLS). */
  builtins: string[];
  /** Path (relative to cwd) or file: URL of a user skills module. */
  skillsModule?: string;
  /** Worker threads in the pool; default 1. */
  workers?: number;
  /** Per-worker heap limit, MiB; default 256. */
  memoryLimitMb?: number;
  /** Grace before a worker ignoring a cancel is replaced, ms; default 5000. */
  cancelGraceMs?: number;
  /** Environment the skills see; default process.env. */
  env?: Record<string, string | undefined>;
}

/** An AgentHost that also reports its load (calls in flight) for heartbeats and `status`. */
export interface WorkerAgentHost extends AgentHost {
  inFlight(): number;
}

export { SkillLoadError };

/**
 * Hosts one agent whose skills run in worker_threads (comlink). Resolves once the skills are
 * loaded; rejects with `SkillLoadError` for an unknown built-in or an unusable skills module.
 */
export async function createWorkerAgentHost(opts: WorkerAgentHostOptions): Promise<WorkerAgentHost> {
  const unknown = opts.builtins.filter((n) => !NODE_BUILTIN_SKILLS.has(n));
  if (unknown.length) {
    throw new SkillLoadError(`unknown built-in skill${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (available: ${[...NODE_BUILTIN_SKILLS.keys()].join(', ')})`);
  }
  const moduleUrl = opts.skillsModule === undefined ? undefined
    : opts.skillsModule.startsWith('file:') ? opts.skillsModule : pathToFileURL(resolve(opts.skillsModule)).href;
  const slotOptions = {
    init: { builtins: opts.builtins, moduleUrl },
    env: opts.env ?? process.env,
    memoryLimitMb: opts.memoryLimitMb ?? 256,
    cancelGraceMs: opts.cancelGraceMs ?? 5000,
  };
  const slots = Array.from({ length: Math.max(1, opts.workers ?? 1) }, () => new WorkerSlot(slotOptions));
  let skills: Skill[];
  try {
    [skills] = (await Promise.all(slots.map((s) => s.start()))) as [Skill[]];
  } catch (err) {
    await Promise.all(slots.map((s) => s.close()));
    throw err instanceof SkillLoadError ? err : new SkillLoadError((err as Error).message);
  }
  if (!skills.length) {
    await Promise.all(slots.map((s) => s.close()));
    throw new SkillLoadError('no skills to host: pass --skills and/or --skills-module');
  }
  const agent: AgentInfo = { name: opts.name, skills, platform: 'node' };
  return {
    agents: () => [agent],
    inFlight: () => slots.reduce((n, s) => n + s.inFlight, 0),
    run: (skill, input, ctx) => slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a)).run(skill, input, ctx),
    close: async () => void (await Promise.all(slots.map((s) => s.close()))),
  };
}
