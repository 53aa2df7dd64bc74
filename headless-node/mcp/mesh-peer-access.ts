import { generateIdentity } from '../../protocol/index.ts';
import { MeshError } from '../../web/mesh/index.ts';
import { createMesh } from '../../web/mesh/index.ts';
import type { MeshPlatform } from '../../web/mesh/index.ts';
import { connectionError } from '../cli/cli-session.ts';
import { createEmptyAgentHost } from '../cli/empty-agent-host.ts';
import { traceMesh } from '../cli/trace.ts';
import { createControlPlaneClient } from '../session/control-plane-client.ts';
import { createNodeTokenSource } from '../session/token-source.ts';
import { offeredSkills, type MeshAccess } from './mesh-access.ts';

/**
 * Joins the mesh as a peer of this process with a fresh key (key-derived id, offers no skills)
 * and runs calls over it: the control plane routes each skill to the best agent, the call itself
 * goes peer-to-peer (or through the server's relay when no DataChannel opens).
 */
export async function openMeshPeerAccess(o: { url: string; secret: string; platform: MeshPlatform; p2p: boolean }): Promise<MeshAccess> {
  const { identity } = await generateIdentity();
  const tokens = createNodeTokenSource({ url: o.url, secret: o.secret, identity });
  await tokens.getToken().catch((err: unknown) => {
    throw connectionError(o.url, err);
  });
  const controlPlane = createControlPlaneClient(o.url, () => tokens.getToken());
  const mesh = createMesh({ url: o.url, platform: o.platform, getToken: () => tokens.getToken(), host: createEmptyAgentHost(), p2p: o.p2p, autoConnect: false, identity });
  traceMesh(mesh);
  const joined = await mesh.start().catch((err: unknown) => {
    throw connectionError(o.url, err);
  });
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((fn) => fn());
  mesh.on('peer-joined', changed);
  mesh.on('peer-left', changed);
  mesh.on('signaling', (s) => s.state === 'open' && s.resumed && changed());

  return {
    async skills() {
      const connected = new Set(mesh.peers().filter((p) => p.present).map((p) => p.peerId));
      const agents = (await controlPlane.agents()).filter((a) => a.health === 'active' && connected.has(a.peerId) && a.peerId !== joined.peerId);
      return offeredSkills(agents);
    },
    async call(skill, input, opts) {
      const agent = await controlPlane.route(skill);
      if (!agent) throw new MeshError('no-agent', `no active agent offers skill "${skill}"`);
      const result = await mesh.call(agent.peerId, skill, input, {
        timeoutMs: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onChunk ? { stream: true, onChunk: opts.onChunk } : {}),
      });
      return { output: result.output, peerId: result.peerId, tier: result.tier };
    },
    onPeersChanged(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close: () => mesh.stop(),
  };
}
