import { joinMesh, type TabmeshPeer } from '../../lib/index.ts';
import { createIdbPinStore } from '../session/pin-store.ts';
import { endSession, type SignedIn } from '../session/session-state.ts';
import { startChat, type ChatController } from './chat-state.ts';
import { bindMesh } from './mesh-binding.ts';
import { trackAgentTransports } from './agent-transports.ts';
import { createOutbox } from './outbox.ts';
import type { CallTransport } from './task-state.ts';

/** This tab running as a peer through tabmesh/browser: its Worker agents, the mesh, and chat with its outbox. */
export interface PeerRuntime {
  peer: TabmeshPeer;
  call: CallTransport;
  chat: ChatController;
  stop(): Promise<void>;
}

/**
 * Joins with the library's public API (docs/browser-library.md): the tab's built-in agents run in
 * Workers (with DataChannels of their own where the browser can transfer them), the join goes on
 * in the background so the hub works, and queues chat, while the server is unreachable.
 * `onTopologyChange` runs when peers or links change (the dashboard refreshes the control plane).
 */
export async function startPeerRuntime(session: SignedIn, onTopologyChange: () => void): Promise<PeerRuntime> {
  const peer = await joinMesh({
    url: location.origin,
    identity: session.identity,
    getToken: () => session.tokens.getToken(),
    builtinAgents: ['basic', 'page'],
    // Peers' keys seen on DataChannels stay pinned across reloads (IndexedDB).
    pins: createIdbPinStore(),
    // A tab should be back soon after the server is: cap the reconnect backoff at 5 s.
    reconnect: { maxMs: 5000 },
    background: true,
  });
  const transports = trackAgentTransports(peer);
  const mesh = bindMesh(peer, endSession);
  const chat = await startChat(mesh.chat, createOutbox());
  const offRefresh = mesh.onTopologyChange(onTopologyChange);
  return {
    peer,
    call: mesh.call,
    chat,
    async stop() {
      offRefresh();
      transports.stop();
      chat.stop();
      await mesh.stop();
    },
  };
}
