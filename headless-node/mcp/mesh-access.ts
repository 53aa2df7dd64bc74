import type { Skill } from '../../server/protocol.ts';

/** A skill the mesh offers now, merged over the agents that offer it. */
export interface OfferedSkill extends Skill {
  /** Agent ids (`peer:name`) offering it, active and connected. */
  agents: string[];
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
