import type { AgentInfo } from '../../protocol/index.ts';
import type { WorkerAgentHost } from '../agents/worker-agent-host.ts';
import { mountMcpServer, type McpMount } from './mcp-server-mount.ts';

/** The node's host plus `--mcp-server` tools as more skills of its (one) agent. */
export interface McpAgentHost extends WorkerAgentHost {
  /** Calls `fn` whenever the skills on offer changed (to register them again). */
  onSkillsChanged(fn: () => void): void;
  mounts(): readonly McpMount[];
}

export function withMcpServers(inner: WorkerAgentHost, servers: string[][], log: (line: string) => void): McpAgentHost {
  const listeners = new Set<() => void>();
  const mounts: McpMount[] = [];
  const innerSkills = () => new Set(inner.agents().flatMap((a) => a.skills.map((s) => s.name)));
  for (const argv of servers) {
    const earlier = [...mounts];
    mounts.push(mountMcpServer({
      argv, log,
      taken: (name) => innerSkills().has(name) || earlier.some((m) => m.has(name)),
      onChange: () => listeners.forEach((fn) => fn()),
    }));
  }
  let inFlight = 0;
  return {
    agents(): AgentInfo[] {
      const [first, ...rest] = inner.agents();
      if (!first) return [];
      return [{ ...first, skills: [...first.skills, ...mounts.flatMap((m) => m.skills())] }, ...rest];
    },
    inFlight: () => inner.inFlight() + inFlight,
    async run(skill, input, ctx) {
      const mount = mounts.find((m) => m.has(skill));
      if (!mount) return inner.run(skill, input, ctx);
      inFlight++;
      try {
        return await mount.run(skill, input, ctx);
      } finally {
        inFlight--;
      }
    },
    onSkillsChanged: (fn) => void listeners.add(fn),
    mounts: () => mounts,
    async close() {
      await Promise.all(mounts.map((m) => m.close()));
      await inner.close();
    },
  };
}
