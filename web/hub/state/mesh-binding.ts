import type { AgentInfo } from '../../../protocol/index.ts';
import { browserPeerKind, createMesh, MeshError, type AgentChannelAdopter, type AgentHost, type Mesh, type RouteInfo } from '../../mesh/index.ts';
import { tokenError } from '../../lib/credentials.ts';
import { createIdbPinStore } from '../session/pin-store.ts';
import type { SignedIn } from '../session/session-state.ts';
import type { ChatTransport } from './chat-state.ts';
import { links, livePeers, setLink, signalingStatus, type LinkView } from './mesh-state.ts';
import type { CallTransport } from './task-state.ts';

/** The mesh core as the hub uses it; feeds the mesh-state signals. */
export interface MeshBinding {
  mesh: Mesh;
  call: CallTransport;
  chat: ChatTransport;
  /** Subscribes to peer/link changes (to refresh the control plane's view); returns unsubscribe. */
  onTopologyChange(fn: () => void): () => void;
  stop(): Promise<void>;
}

const LINK_POLL_MS = 2000;

function linkView(l: RouteInfo): LinkView {
  return {
    peerId: l.peerId, state: l.state, tier: l.tier,
    ...(l.rttMs === undefined ? {} : { rttMs: l.rttMs }),
    ...(l.openMs === undefined ? {} : { openMs: l.openMs }),
    identity: l.identity,
    ...(l.lastError === undefined ? {} : { lastError: l.lastError }),
  };
}

async function registerAgents(session: SignedIn, agents: AgentInfo[]): Promise<void> {
  for (const a of agents) {
    await session.api('/api/agents', { method: 'POST', json: { name: a.name, skills: a.skills, platform: 'browser', capabilities: ['web-worker'] } });
  }
}

/**
 * Creates this tab's mesh peer with the browser's own WebRTC and WebSocket, joins in the
 * background (so the hub works, and queues chat, while the server is unreachable), registers the
 * tab's agents after every (re)join, and mirrors signaling, peers and links into signals.
 * `agentChannels` gives agents DataChannels of their own on verified links (their Workers').
 * `onFatal` runs when the server refuses or revokes this device.
 */
export function bindMesh(session: SignedIn, host: AgentHost, onFatal: (err: MeshError) => void, agentChannels?: AgentChannelAdopter): MeshBinding {
  const self = session.identity.peerId;
  const mesh = createMesh({
    url: location.origin,
    platform: { RTCPeerConnection, WebSocket, fetch: globalThis.fetch.bind(globalThis), now: Date.now },
    getToken: () => session.tokens.getToken().catch((err: unknown) => Promise.reject(tokenError(err))),
    host,
    ...(agentChannels ? { agentChannels } : {}),
    // The tab's own key (IndexedDB, non-extractable) proves it on every DataChannel; peers' keys are pinned.
    identity: session.identity,
    pins: createIdbPinStore(),
    // A tab should be back soon after the server is: cap the reconnect backoff at 5 s.
    reconnect: { maxMs: 5000 },
    // A phone keeps fewer DataChannels than a desktop tab (docs/architecture.md "Overlay").
    peerKind: browserPeerKind(navigator as Navigator & { userAgentData?: { mobile?: boolean } }),
  });
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((fn) => fn());
  const syncPeers = () => {
    livePeers.value = mesh.peers().filter((p) => p.present).map((p) => ({ peerId: p.peerId, role: p.role ?? 'agent' }));
  };
  let lastLinks = '';
  const syncLinks = () => {
    const next = mesh.links().filter((l) => l.state !== 'closed' || l.identity === 'refused').map(linkView);
    // Most ticks change nothing; skip them so views and the outbox do not re-run for nothing.
    const key = JSON.stringify(next);
    if (key === lastLinks) return;
    lastLinks = key;
    links.value = new Map(next.map((l) => [l.peerId, l]));
  };
  const register = () => registerAgents(session, host.agents()).catch((err: unknown) => console.warn('tabmesh: could not register agents', err));

  let everOnline = false;
  const off = [
    mesh.on('signaling', (s) => {
      if (s.state === 'open') {
        everOnline = true;
        signalingStatus.value = 'online';
        syncPeers();
        if (s.resumed) void register();
      } else {
        signalingStatus.value = s.state === 'stopped' ? 'offline' : everOnline ? 'reconnecting' : 'connecting';
      }
      changed();
    }),
    mesh.on('peer-joined', () => (syncPeers(), changed())),
    mesh.on('peer-left', () => (syncPeers(), changed())),
    mesh.on('link', (l) => {
      setLink(linkView(l));
      // Measure a fresh link's RTT now rather than at the next periodic probe.
      if (l.state === 'open' && l.rttMs === undefined) void mesh.ping(l.peerId).then(syncLinks, () => undefined);
      changed();
    }),
    mesh.on('identity', (e) => {
      if (e.status === 'refused') console.warn(`tabmesh: refused peer ${e.peerId}: identity check failed (${e.reason}): ${e.message}`);
      if (e.status === 'key-changed') console.warn(`tabmesh: peer ${e.peerId} presents another key than pinned`);
    }),
    mesh.on('fatal', (err) => onFatal(err)),
  ];
  // RTT changes are not events; refresh the per-link view on a timer.
  const poll = setInterval(syncLinks, LINK_POLL_MS);
  signalingStatus.value = 'connecting';
  mesh.start().then(
    () => void register(),
    (err: unknown) => onFatal(err instanceof MeshError ? err : new MeshError('unauthorized', String(err), { retryable: false })),
  );

  return {
    mesh,
    async call(peerId, skill, input, onChunk) {
      // The tab's own agents are reached without the network.
      if (peerId === self) return { output: await host.run(skill, input, { signal: new AbortController().signal, onChunk }), tier: 'local' as const };
      const res = await mesh.call(peerId, skill, input, { stream: true, onChunk });
      return { output: res.output, tier: res.tier };
    },
    async chat(target, text, onChunk) {
      return (await mesh.chat(target.peerId, text, { ...(target.agent ? { agent: target.agent } : {}), onChunk })).text;
    },
    onTopologyChange(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    async stop() {
      clearInterval(poll);
      off.forEach((o) => o());
      await mesh.stop();
      signalingStatus.value = 'offline';
      // The next session (after pairing again) must not see this one's links and peers as
      // reachable before its own mesh has started: chat would send into a mesh not yet joined.
      links.value = new Map();
      livePeers.value = [];
    },
  };
}
