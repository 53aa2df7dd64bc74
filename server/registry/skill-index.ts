import type { AgentRecord } from '../../protocol/index.ts';

/** The agents of one mesh by skill, with each peer's last heartbeat: what routing reads per call. */
export interface SkillIndex {
  bySkill: Map<string, AgentRecord[]>;
  lastSeen: Map<string, number>;
}

export function buildSkillIndex(agents: readonly AgentRecord[], presence: ReadonlyArray<{ peerId: string; lastSeen: number }>): SkillIndex {
  const bySkill = new Map<string, AgentRecord[]>();
  for (const a of agents) {
    for (const s of a.skills) {
      const list = bySkill.get(s.name);
      if (list) list.push(a);
      else bySkill.set(s.name, [a]);
    }
  }
  const lastSeen = new Map<string, number>();
  for (const p of presence) lastSeen.set(p.peerId, p.lastSeen);
  return { bySkill, lastSeen };
}

/**
 * Per-mesh skill indexes, rebuilt from the store at most once per `maxAgeMs` (on the registry's
 * clock). A route then costs the agents offering the skill, not a read and parse of every agent
 * and heartbeat record of the mesh (10,000 peers: ~80 ms per call before, see docs/benchmarks.md).
 * This instance's own writes invalidate (register, remove) or update (heartbeat) at once; another
 * instance's show within `maxAgeMs`.
 */
export function createSkillIndexCache(now: () => number, maxAgeMs: number, load: (mesh: string) => Promise<SkillIndex>) {
  const cache = new Map<string, { at: number; index: SkillIndex }>();
  return {
    async get(mesh: string): Promise<SkillIndex> {
      const hit = cache.get(mesh);
      const t = now();
      if (hit && t >= hit.at && t - hit.at < maxAgeMs) return hit.index;
      const index = await load(mesh);
      cache.set(mesh, { at: t, index });
      return index;
    },
    invalidate(mesh: string): void {
      cache.delete(mesh);
    },
    heartbeat(mesh: string, peerId: string, at: number): void {
      cache.get(mesh)?.index.lastSeen.set(peerId, at);
    },
  };
}
