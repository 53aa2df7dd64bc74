import { MeshError } from '../../web/mesh/index.ts';
import { findRunningNode, LocalApiError, type LocalApiClient } from '../local-api/client.ts';
import { offeredSkills, type MeshAccess } from './mesh-access.ts';

/**
 * Runs `tabmesh mcp` through the node running on a data dir (its local API): no join, no token,
 * calls over the node's open links (also while the signaling server is down), and the tool list
 * follows the node's `watch` events. When the node goes away (restarted, upgraded), the next
 * request connects to whichever node then runs on the data dir, so the MCP client keeps its server.
 */
export async function openMeshNodeAccess(dataDir: string, first: LocalApiClient): Promise<MeshAccess> {
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((fn) => fn());
  let closing = false;

  const attach = async (node: LocalApiClient) => {
    // Signaling going down and retrying changes no skill; coming back may (peers joined meanwhile).
    const watching = await node.watch((e) => (e.event !== 'signaling' || e.state === 'open') && changed());
    void node.closed.then(() => {
      if (closing) return;
      current = undefined;
      // The skills it served are gone; the list is re-read (and reconnects) on the change.
      changed();
    });
    return { node, watching };
  };
  let current: Promise<{ node: LocalApiClient; watching: { stop(): void } }> | undefined = attach(first);
  await current;

  const node = async (): Promise<LocalApiClient> => {
    current ??= (async () => {
      const found = await findRunningNode(dataDir).catch(() => undefined);
      if (!found) throw new MeshError('no-node', `no tabmesh node runs on ${dataDir} any more (start it again; this MCP server reconnects on the next request)`);
      return attach(found);
    })();
    try {
      return (await current).node;
    } catch (err) {
      current = undefined;
      throw err;
    }
  };

  return {
    async skills() {
      const n = await node();
      // Only agents of peers present now: the registry may still list a peer that just vanished.
      const [{ agents }, { peers }] = await Promise.all([n.agents(), n.peers()]);
      const present = new Set(peers.map((p) => p.peerId));
      return offeredSkills(agents.filter((a) => a.health === 'active' && present.has(a.peerId)));
    },
    async call(skill, input, opts) {
      const n = await node();
      try {
        const r = await n.call(skill, input, {
          timeoutMs: opts.timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onChunk ? { stream: true, onChunk: opts.onChunk } : {}),
        });
        return { output: r.output, peerId: r.peerId, tier: r.tier };
      } catch (err) {
        // The node's error codes are the mesh's own (plus the local API's): keep them as they are.
        if (err instanceof LocalApiError) throw MeshError.withCode(err.code, err.code === 'closed' ? `the tabmesh node stopped answering: ${err.message}` : err.message);
        throw err;
      }
    },
    onPeersChanged(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async close() {
      closing = true;
      const attached = await current?.catch(() => undefined);
      if (!attached) return;
      attached.watching.stop();
      attached.node.close();
      await attached.node.closed;
    },
  };
}
