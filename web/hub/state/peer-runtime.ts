import { canTransferDataChannel, createWorkerAgentHost } from '../../agents/browser/worker-agent-host.ts';
import type { AgentHost } from '../../mesh/agent-host.ts';
import { endSession, type SignedIn } from '../session/session-state.ts';
import { startChat, type ChatController } from './chat-state.ts';
import { bindMesh, type MeshBinding } from './mesh-binding.ts';
import { dataChannelTransfer } from './mesh-state.ts';
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
  dataChannelTransfer.value = canTransferDataChannel();
  const agentHost = await createWorkerAgentHost();
  const mesh: MeshBinding = bindMesh(session, agentHost, endSession);
  const chat = await startChat(mesh.chat, createOutbox());
  const offRefresh = mesh.onTopologyChange(onTopologyChange);
  return {
    mesh: mesh.mesh,
    call: mesh.call,
    chat,
    agentHost,
    async stop() {
      offRefresh();
      chat.stop();
      await mesh.stop();
      await agentHost.close();
    },
  };
}
