import { SkillError, type AgentHost } from '../../web/mesh/index.ts';

/** The host of a peer that only calls (tabmesh call / ping): it offers no skills. */
export function createEmptyAgentHost(): AgentHost {
  return {
    agents: () => [],
    run: async (skill) => {
      throw new SkillError('unknown-skill', `this peer is a command-line client and offers no skills (asked for "${skill}")`);
    },
    close: async () => undefined,
  };
}
