import { MeshError } from '../../web/mesh/errors.ts';
import { LocalApiError, type LocalApiClient } from '../local-api/client.ts';
import type { MeshAccess, OfferedSkill } from './mesh-access.ts';

/**
 * Runs `tabmesh mcp` through the node running on a data dir (its local API): no join, no token,
 * calls over the node's open links (also while the signaling server is down), and the tool list
 * follows the node's `watch` events.
 */
export async function openMeshNodeAccess(node: LocalApiClient): Promise<MeshAccess> {
  const listeners = new Set<() => void>();
  const watching = await node.watch(() => listeners.forEach((fn) => fn()));
  return {
    async skills() {
      // Only agents of peers present now: the registry may still list a peer that just vanished.
      const [{ agents }, { peers }] = await Promise.all([node.agents(), node.peers()]);
      const present = new Set(peers.map((p) => p.peerId));
      const byName = new Map<string, OfferedSkill>();
      for (const agent of agents.filter((a) => a.health === 'active' && present.has(a.peerId))) {
        for (const skill of agent.skills) {
          const entry = byName.get(skill.name) ?? { ...skill, agents: [] };
          entry.agents.push(agent.id);
          byName.set(skill.name, entry);
        }
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    async call(skill, input, opts) {
      try {
        const r = await node.call(skill, input, {
          timeoutMs: opts.timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onChunk ? { stream: true, onChunk: opts.onChunk } : {}),
        });
        return { output: r.output, peerId: r.peerId, tier: r.tier };
      } catch (err) {
        // The node's error codes are the mesh's own (plus the local API's): keep them as they are.
        if (err instanceof LocalApiError) throw new MeshError(err.code, err.code === 'closed' ? `the tabmesh node stopped answering: ${err.message}` : err.message);
        throw err;
      }
    },
    onPeersChanged(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async close() {
      watching.stop();
      node.close();
      await node.closed;
    },
  };
}
