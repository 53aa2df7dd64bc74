import type { MeshError, RouteInfo, TabmeshPeer } from '../../lib/index.ts';
import type { ChatTransport } from './chat-state.ts';
import { links, livePeers, setLink, signalingStatus, type LinkView } from './mesh-state.ts';
import type { CallTransport } from './task-state.ts';

/** The tab's peer (tabmesh/browser) as the hub uses it; feeds the mesh-state signals. */
export interface MeshBinding {
  call: CallTransport;
  chat: ChatTransport;
  /** Subscribes to peer/link changes (to refresh the control plane's view); returns unsubscribe. */
  onTopologyChange(fn: () => void): () => void;
  /** Leaves the mesh (the peer stops its agents too) and clears this session's links and peers. */
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

/**
 * Mirrors the tab's peer (joining in the background) into signals: signaling state, peers, links.
 * `onFatal` runs when the server refuses or revokes this device.
 */
export function bindMesh(peer: TabmeshPeer, onFatal: (err: MeshError) => void): MeshBinding {
  const listeners = new Set<() => void>();
  // A welcome or a presence batch brings many peers at once: the views and the control plane's
  // refresh follow once, in a task of their own, not once per peer inside the frame's task
  // (a long task on a throttled phone: bench hub-phone).
  const soon = (fn: () => void) => {
    let due = false;
    return () => {
      if (due) return;
      due = true;
      setTimeout(() => ((due = false), fn()), 0);
    };
  };
  const changed = soon(() => listeners.forEach((fn) => fn()));
  const syncPeers = soon(() => {
    livePeers.value = peer.peers().filter((p) => p.present).map((p) => ({ peerId: p.peerId, role: p.role ?? 'agent' }));
  });
  let lastLinks = '';
  const syncLinks = () => {
    const next = peer.links().filter((l) => l.state !== 'closed' || l.identity === 'refused').map(linkView);
    // Most ticks change nothing; skip them so views and the outbox do not re-run for nothing.
    const key = JSON.stringify(next);
    if (key === lastLinks) return;
    lastLinks = key;
    links.value = new Map(next.map((l) => [l.peerId, l]));
  };

  let everOnline = false;
  const off = [
    peer.on('signaling', (s) => {
      if (s.state === 'open') {
        everOnline = true;
        signalingStatus.value = 'online';
        syncPeers();
      } else {
        signalingStatus.value = s.state === 'stopped' ? 'offline' : everOnline ? 'reconnecting' : 'connecting';
      }
      changed();
    }),
    peer.on('peer-joined', () => (syncPeers(), changed())),
    peer.on('peer-left', () => (syncPeers(), changed())),
    peer.on('link', (l) => {
      setLink(linkView(l));
      // Measure a fresh link's RTT now rather than at the next periodic probe.
      if (l.state === 'open' && l.rttMs === undefined) void peer.ping(l.peerId).then(syncLinks, () => undefined);
      changed();
    }),
    peer.on('identity', (e) => {
      if (e.status === 'refused') console.warn(`tabmesh: refused peer ${e.peerId}: identity check failed (${e.reason}): ${e.message}`);
      if (e.status === 'key-changed') console.warn(`tabmesh: peer ${e.peerId} presents another key than pinned`);
    }),
    peer.on('error', (e) => e.code === 'register-failed' && console.warn('tabmesh: could not register agents', e.message)),
    peer.on('fatal', (err) => onFatal(err)),
  ];
  // RTT changes are not events; refresh the per-link view on a timer.
  const poll = setInterval(syncLinks, LINK_POLL_MS);
  signalingStatus.value = 'connecting';

  return {
    async call(peerId, skill, input, onChunk) {
      // The tab's own agents are reached without the network (the library runs a call to itself locally).
      const res = await peer.call(peerId, skill, input, { onChunk });
      return { output: res.output, tier: res.tier };
    },
    async chat(target, text, onChunk) {
      return (await peer.chat(target.peerId, text, { ...(target.agent ? { agent: target.agent } : {}), onChunk })).text;
    },
    onTopologyChange(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    async stop() {
      clearInterval(poll);
      off.forEach((o) => o());
      await peer.leave();
      signalingStatus.value = 'offline';
      // The next session (after pairing again) must not see this one's links and peers as
      // reachable before its own mesh has started: chat would send into a mesh not yet joined.
      links.value = new Map();
      livePeers.value = [];
    },
  };
}
