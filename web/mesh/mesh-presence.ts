import { KEY_PEER_ID_PATTERN } from '../../protocol/index.ts';
import type { Emitter } from './emitter.ts';
import type { LinkAuthenticator } from './link/link-identity.ts';
import type { MeshPeers } from './mesh-peers.ts';
import type { MeshEvents } from './mesh-types.ts';
import type { Clock } from './platform.ts';
import type { PeerRoute } from './routing/peer-route.ts';
import type { SignalingClient, SignalingEvents } from './signaling/signaling-client.ts';

export type WelcomeFrame = SignalingEvents['welcome']['frame'];

export interface MeshPresenceOptions {
  signaling: SignalingClient;
  routes: Map<string, PeerRoute>;
  peers: MeshPeers;
  events: Emitter<MeshEvents>;
  auth: LinkAuthenticator;
  maxLinks: number;
  autoConnect: boolean;
  clock: Clock;
  localId(): string | undefined;
  /** Records the session the server granted (id, ICE servers) before any route hears of it. */
  welcomed(frame: WelcomeFrame): void;
  /** Called last for each welcome, once routes and listeners know the new session. */
  settled(frame: WelcomeFrame): void;
}

/**
 * What the server says about who is here (welcome, peer-joined, peer-left, unknown-peer errors,
 * a lost socket), applied to the peer table.
 */
export function wireMeshPresence(o: MeshPresenceOptions): void {
  const { signaling, routes, peers, events, auth } = o;

  /**
   * One connect per task: each makes an RTCPeerConnection and its offer, and ten of them in the
   * welcome's task held a throttled phone's main thread for ~100 ms (bench hub-phone).
   */
  function connectInTurn(list: PeerRoute[]): void {
    if (list.length) o.clock.set(() => (list.shift()!.connect(), connectInTurn(list)), 0);
  }

  /** A key-derived id must be our key's hash, else every peer refuses our DataChannels: say so. */
  async function checkOwnId(peerId: string): Promise<void> {
    const own = (await auth.identity()).peerId;
    if (own !== peerId) events.emit('error', { code: 'identity-mismatch', message: `the server calls this peer "${peerId}" but its identity key stands for "${own}": peers will refuse its DataChannels (pass the key behind the id as \`identity\`)` });
  }

  signaling.on('welcome', ({ frame, resumed }) => {
    if (o.localId() !== frame.peerId && KEY_PEER_ID_PATTERN.test(frame.peerId)) void checkOwnId(frame.peerId);
    o.welcomed(frame);
    const listed = new Set(frame.peers.map((p) => p.peerId));
    // An incomplete list (a large mesh) names neighbours, not everyone: silence about a peer is not news.
    if (frame.complete ?? true) {
      for (const route of [...routes.values()]) {
        if (listed.has(route.peerId)) continue;
        route.present = false;
        peers.probeOrRemove(route, 'left the mesh while signaling was down');
      }
    }
    // Links to the listed peers in the server's order (neighbours first), up to the link budget;
    // the rest are reachable on demand. Healthy links are left alone: connect() is a no-op unless idle.
    let budget = o.maxLinks - peers.activeLinks();
    const connects: PeerRoute[] = [];
    for (const p of frame.peers) {
      const route = peers.join(p);
      if (o.autoConnect && route.link.state === 'idle' && budget > 0) (connects.push(route), budget--);
    }
    // A server that only introduces: with routing over peers the first link goes through the
    // server, the others over peers once its distance vector shows a way (overlay-welcome.ts).
    const overlay = peers.overlay;
    connectInTurn(overlay ? connects.slice(0, 1) : connects);
    // Without the overlay chunk (a failed load) the server introduces the rest, as before.
    overlay?.whenReady((w) => w.welcome(connects), () => connectInTurn(connects.slice(1)));
    for (const route of routes.values()) route.signalingChanged();
    events.emit('signaling', { state: 'open', resumed });
    o.settled(frame);
  });
  signaling.on('peer-joined', (p) => peers.join(p).rejoined());
  signaling.on('peer-left', ({ peerId }) => {
    const route = routes.get(peerId);
    if (!route) return;
    route.present = false;
    peers.probeOrRemove(route, 'left the mesh');
    peers.scheduleTopUp();
  });
  signaling.on('server-error', (e) => {
    const route = e.code === 'unknown-peer' && e.ref ? routes.get(e.ref) : undefined;
    if (route && route.link.state !== 'open') peers.removePeer(route.peerId, 'is not in the mesh', 'unknown-peer');
    events.emit('error', e);
  });
  signaling.on('disconnected', ({ code, reason }) => {
    for (const route of routes.values()) route.signalingChanged();
    events.emit('signaling', { state: 'connecting', code, reason });
  });
}
