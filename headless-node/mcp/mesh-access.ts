import type { Skill } from '../../protocol/index.ts';

/** A skill the mesh offers now, merged over the agents that offer it. */
export interface OfferedSkill extends Skill {
  /** Agent ids (`peer:name`) offering it, active and connected. */
  agents: string[];
}

/** Merges the skills of the given agents by name (sorted), each listing the agents offering it. */
export function offeredSkills(agents: ReadonlyArray<{ id: string; skills: readonly Skill[] }>): OfferedSkill[] {
  const byName = new Map<string, OfferedSkill>();
  for (const agent of agents) {
    for (const skill of agent.skills) {
      const entry = byName.get(skill.name) ?? { ...skill, agents: [] };
      entry.agents.push(agent.id);
      byName.set(skill.name, entry);
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export interface MeshCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Set to receive a streaming skill's chunks as they arrive. */
  onChunk?: (chunk: unknown) => void;
}

export interface MeshCallResult {
  output: unknown;
  peerId: string;
  tier: string;
}

/**
 * How `tabmesh mcp` reaches the mesh. One implementation joins as a peer of this process
 * (mesh-peer-access.ts); a running node's local API can implement the same four methods.
 * `call` rejects with a MeshError (code + message) when the skill cannot run or fails.
 */
export interface MeshAccess {
  skills(): Promise<OfferedSkill[]>;
  call(skill: string, input: unknown, opts: MeshCallOptions): Promise<MeshCallResult>;
  /** Calls `fn` whenever peers join or leave (the skills on offer may have changed). */
  onPeersChanged(fn: () => void): () => void;
  close(): Promise<void>;
}
