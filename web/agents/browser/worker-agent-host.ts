import * as Comlink from 'comlink';
import type { AgentInfo } from '../../../protocol/index.ts';
import { SkillError, type AgentHost } from '../../mesh/agents.ts';
import { transferring } from '../skills/transfer-input.ts';
import { snapshotPage } from './page-probe.ts';
import type { AgentWorkerApi } from './worker-api.ts';

export interface WorkerAgentHostOptions {
  /** Agent names from agent-worker.ts; each runs in its own Worker. Default: basic, page. */
  agents?: string[];
  /** Agents whose skills are a module's exports (absolute URL), each in its own Worker too. */
  modules?: Array<{ name: string; url: string }>;
  /** Skill configuration (e.g. OPENAI_BASE_URL for `llm`). */
  env?: Record<string, string>;
}

/** One agent's Worker, as the main thread drives it. */
export interface RunningAgent {
  info: AgentInfo;
  worker: Worker;
  api: Comlink.Remote<AgentWorkerApi>;
  /** Runs that came through the main thread and this bridge (calls on agent channels do not). */
  bridgeRuns: number;
}

/** The browser's AgentHost plus its Workers (for handing them agent channels). */
export interface WorkerAgentHost extends AgentHost {
  readonly workers: readonly RunningAgent[];
}

/**
 * The browser's AgentHost: each agent runs in a module Web Worker and is driven over comlink
 * (a MessagePort bridge). Resolves once every worker has described its skills.
 */
export async function createWorkerAgentHost(opts: WorkerAgentHostOptions = {}): Promise<WorkerAgentHost> {
  const env = opts.env ?? {};
  const probe = Comlink.proxy({ pageInfo: snapshotPage });
  const specs = [...(opts.agents ?? ['basic', 'page']).map((name) => ({ name, url: undefined })), ...(opts.modules ?? [])];
  const running: RunningAgent[] = await Promise.all(
    specs.map(async ({ name, url }) => {
      const worker = new Worker(new URL('./agent-worker.ts', import.meta.url), { type: 'module', name: `agent-${name}` });
      const api = Comlink.wrap<AgentWorkerApi>(worker);
      try {
        const skills = await api.init(name, env, probe, url);
        return { info: { name, skills, platform: 'browser' as const }, worker, api, bridgeRuns: 0 };
      } catch (err) {
        worker.terminate();
        throw err;
      }
    }),
  );
  let nextRun = 1;
  return {
    workers: running,
    agents: () => running.map((a) => a.info),
    async run(skill, input, ctx) {
      const agent = running.find((a) => a.info.skills.some((s) => s.name === skill));
      if (!agent) throw new SkillError('unknown-skill', `this tab has no skill "${skill}"`);
      const runId = nextRun++;
      agent.bridgeRuns++;
      const onAbort = () => void agent.api.cancel(runId, String(ctx.signal.reason ?? 'cancelled'));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const onChunk = ctx.onChunk;
        const result = await agent.api.run(runId, skill, transferring(input), onChunk ? Comlink.proxy((c: unknown) => onChunk(c)) : undefined);
        if (!result.ok) throw new SkillError(result.code, result.message);
        return result.output;
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      for (const a of running) {
        a.api[Comlink.releaseProxy]();
        a.worker.terminate();
      }
    },
  };
}
