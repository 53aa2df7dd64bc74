import { createWorkerAgentHost } from '../../agents/browser/worker-agent-host.ts';
import { createWorkerChannelAdopter } from '../../agents/browser/worker-channel-adopter.ts';
import type { AgentHost } from '../../mesh/index.ts';
import { endSession, type SignedIn } from '../session/session-state.ts';
import { startChat, type ChatController } from './chat-state.ts';
import { bindMesh, type MeshBinding } from './mesh-binding.ts';
import { trackAgentTransports } from './agent-transports.ts';
import { createOutbox } from './outbox.ts';
import type { CallTransport } from './task-state.ts';

/** This tab running as a peer: agents in workers, the mesh, and chat with its outbox. */
export interface PeerRuntime {
  mesh: MeshBinding['mesh'];
  call: CallTransport;
  chat: ChatController;
  agentHost: AgentHost;
  stop(): Promise<void>;
}

/**
 * Starts agents first (the mesh advertises them on join), then the mesh and chat.
 * `onTopologyChange` runs when peers or links change (the dashboard refreshes the control plane).
 */
export async function startPeerRuntime(session: SignedIn, onTopologyChange: () => void): Promise<PeerRuntime> {
  const agentHost = await createWorkerAgentHost();
  // Each agent's Worker gets DataChannels of its own where the browser can transfer them.
  let transports: ReturnType<typeof trackAgentTransports> | undefined;
  const adopter = createWorkerChannelAdopter(agentHost.workers, () => transports?.refresh());
  transports = trackAgentTransports(agentHost, adopter);
  const mesh: MeshBinding = bindMesh(session, agentHost, endSession, adopter);
  const chat = await startChat(mesh.chat, createOutbox());
  const offRefresh = mesh.onTopologyChange(onTopologyChange);
  return {
    mesh: mesh.mesh,
    call: mesh.call,
    chat,
    agentHost,
    async stop() {
      offRefresh();
      transports?.stop();
      chat.stop();
      await mesh.stop();
      await agentHost.close();
    },
  };
}
