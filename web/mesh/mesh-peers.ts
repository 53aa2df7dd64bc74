import { KEY_PEER_ID_PATTERN, type PeerSummary, type Role } from '../../protocol/index.ts';
import type { Emitter } from './emitter.ts';
import { MeshError } from './errors.ts';
import { refusesPeer, type HandshakeResult } from './link/link-handshake.ts';
import type { LinkAuthenticator } from './link/link-identity.ts';
import { linkSlot } from './link/link-policy.ts';
import { lazyModule } from './lazy-module.ts';
import type { LinkReporter } from './link/link-reporter.ts';
import type { MessageRouter } from './routing/message-router.ts';
import { createMeshOverlay, MAX_ROUTES } from './routing/mesh-overlay.ts';
import type { MeshEvents, MeshOptions } from './mesh-types.ts';
import { createPeerRoute, type PeerRoute, type PeerRouteOptions } from './routing/peer-route.ts';
import type { SealKeys } from './routing/seal-keys.ts';
import type { PendingRequests } from './calls/pending-requests.ts';
import type { Clock } from './platform.ts';
import type { SignalingClient } from './signaling/signaling-client.ts';

export type MeshPeersOptions = {
  opts: MeshOptions;
  clock: Clock;
  events: Emitter<MeshEvents>;
  signaling: SignalingClient;
  routes: Map<string, PeerRoute>;
  pending: PendingRequests;
  router: MessageRouter;
  reporter: LinkReporter;
  auth: LinkAuthenticator;
  sealKeys: SealKeys;
  p2p: boolean;
  maxLinks: number;
  maxMessageBytes: number;
  localId(): string | undefined;
  relaySession(): number;
  iceServers(): RTCIceServer[];
  nextMsgId(): number;
  stopped(): boolean;
  /** Asks a peer the server says is gone whether it is still there (mesh.ping). */
  probe(peerId: string, timeoutMs: number): Promise<unknown>;
};

export type MeshPeers = ReturnType<typeof createMeshPeers>;

const loadRepair = lazyModule(() => import('./link/link-repair.ts'));

/** Routes whose link is not idle: the slots taken under the link cap. */
function countActive(routes: Map<string, PeerRoute>): number {
  let n = 0;
  for (const r of routes.values()) if (r.link.state !== 'idle') n++;
  return n;
}

/**
 * The mesh's table of peers: one PeerRoute each, who is present, the link cap and overlay repair,
 * and cutting a peer off on every tier when it leaves or fails its identity check.
 */
export function createMeshPeers(m: MeshPeersOptions) {
  const { opts, clock, events, signaling, routes, pending, router, reporter, maxLinks } = m;
  const roles = new Map<string, Role>();
  let topUpTimer: unknown;
  /** Repair offers left for the current loss (undefined: a new loss, not counted yet). */
  let repairTries: number | undefined = 0;
  const routing = opts.routing === false ? undefined : createMeshOverlay({
    routes, clock, localId: m.localId, reach: (src) => reach(src), routing: opts.routing,
    waiting: (peerId) => pending.count(peerId) + router.running(peerId),
  });

  const activeLinks = () => countActive(routes);
  /**
   * Overlay repair: a peer that lost links (a neighbour left, or another peer evicted it at its
   * cap) keeps at least min(maxLinks, OVERLAY_DEGREE) by linking to present peers it knows but has
   * no link to (chosen at random, so the repaired overlay keeps its shortcuts). Runs after the
   * whole presence batch is applied, so the server's suggested replacement is among the candidates.
   * Repair offers carry `repair`: they take only a free slot and are refused rather than evict, so
   * a repair never costs a third peer a link and never starts another repair. A refusal (`bye`
   * link-cap) tries the next peer (the refuser is capped here for a while, so not it again), within
   * REPAIR_TRIES offers per loss: `lost` starts that count, a refusal spends what is left.
   */
  function scheduleTopUp(lost = true): void {
    if (lost) repairTries = undefined;
    if (topUpTimer !== undefined || !(opts.autoConnect ?? true)) return;
    topUpTimer = clock.set(() => {
      topUpTimer = undefined;
      loadRepair().then((r) => void (m.stopped() || (repairTries = r.repairRoutes(routes.values(), maxLinks, activeLinks(), repairTries))), () => undefined);
    }, 0);
  }

  /** Connection cap: take a slot, evicting the least recently used idle link if all are taken (never for a `repair` link). */
  function acquireSlot(route: PeerRoute, repair?: boolean): boolean {
    const active = [...routes.values()].filter((r) => r !== route && r.link.state !== 'idle');
    const victim = linkSlot(active, maxLinks, (r) => r.link.state === 'open' && pending.count(r.peerId) === 0 && router.running(r.peerId) === 0, repair);
    if (victim === 'free') return true;
    if (!victim) return false;
    signaling.send({ type: 'bye', to: victim.peerId, payload: { reason: 'link-cap' } });
    victim.evict();
    return true;
  }

  /** A verified peer is announced; one that failed its link proof is cut off on every tier. */
  function onIdentity(route: PeerRoute, v: HandshakeResult): void {
    const peerId = route.peerId;
    if (v.ok) {
      const status = v.pin === 'changed' ? 'key-changed' : 'verified';
      events.emit('identity', { peerId, status, identity: v.identity, keyDerived: v.keyDerived, firstContact: v.pin === 'new' });
      if (status === 'key-changed') events.emit('error', { code: 'identity-key-changed', message: `peer "${peerId}" now presents another key than pinned (accepted: pin policy "warn")`, peerId });
      return;
    }
    if (!refusesPeer(v)) return;
    // Cut off on every tier: a peer that failed a link proof or a seal-hello is not who it claims.
    const err = new MeshError('identity-failed', `peer "${peerId}" failed the identity check (${v.reason}): ${v.message}`, { peerId, retryable: false });
    cutOff(route, err);
    reporter.identityFailed({ peer: peerId, reason: v.reason });
    events.emit('identity', { peerId, status: 'refused', reason: v.reason, message: v.message });
    events.emit('error', { code: 'identity-failed', message: err.message, peerId });
  }

  function ensureRoute(peerId: string): PeerRoute {
    const existing = routes.get(peerId);
    if (existing) return existing;
    const route = createPeerRoute(routeOptions(m, peerId, acquireSlot, scheduleTopUp, routing?.overlay));
    route.on('message', (raw) => {
      if (!routing?.intercept(route, raw)) router.receive(peerId, raw);
    });
    route.on('identity', (v) => onIdentity(route, v));
    route.on('channel-refused', (e) => events.emit('error', { code: 'agent-channel-refused', message: `closed DataChannel "${e.label}" from ${peerId} (${e.reason}): ${e.message}`, peerId }));
    route.on('frame-error', (e) => {
      router.replyError(peerId, e.raw, e.code, e.message);
      events.emit('error', { code: e.code, message: e.message, peerId });
    });
    route.on('change', (info) => {
      routing?.routeChanged(route);
      if (routes.get(peerId) !== route) return;
      const generation = route.generation;
      if (generation) pending.retransmit(peerId, generation);
      events.emit('link', info);
      reporter.changed();
      if (!route.present && route.link.state === 'idle' && signaling.state === 'open') removePeer(peerId, 'left the mesh');
    });
    routes.set(peerId, route);
    return route;
  }

  function join(p: PeerSummary): PeerRoute {
    const route = ensureRoute(p.peerId);
    const wasPresent = route.present;
    route.present = true;
    roles.set(p.peerId, p.role);
    if (!wasPresent) events.emit('peer-joined', { peerId: p.peerId, role: p.role });
    return route;
  }

  /**
   * The route to a peer this one was asked to reach: the known one, or one made on demand for a
   * key-derived id. Beyond 32 peers `welcome` names only some of them, but the server relays to
   * anyone in the mesh; its `unknown-peer` answer removes the route again (mesh-presence.ts).
   */
  function reach(peerId: string): PeerRoute | undefined {
    const known = routes.get(peerId);
    if (known) return known;
    if (m.stopped() || routes.size >= MAX_ROUTES || !KEY_PEER_ID_PATTERN.test(peerId)) return undefined;
    const route = ensureRoute(peerId);
    route.present = true;
    return route;
  }

  /** `code` unknown-peer: the server says the peer was never here (no `peer-left` unless it had joined). */
  function removePeer(peerId: string, reason: string, code: 'peer-left' | 'unknown-peer' = 'peer-left'): void {
    const route = routes.get(peerId);
    if (!route) return;
    const joined = roles.delete(peerId);
    routes.delete(peerId);
    cutOff(route, new MeshError(code, `peer "${peerId}" ${reason}`, { peerId }));
    reporter.closed(route.info);
    if (code === 'peer-left' || joined) events.emit('peer-left', { peerId, reason });
  }

  /** Fails every request to and from the peer with `err` and closes its route for good. */
  function cutOff(route: PeerRoute, err: MeshError): void {
    pending.failPeer(route.peerId, err);
    router.abortFrom(route.peerId, err.message);
    route.close(err);
  }

  /** The server says the peer is gone, but a live DataChannel outranks that: ask the peer itself. */
  function probeOrRemove(route: PeerRoute, reason: string): void {
    if (route.link.state !== 'open') return removePeer(route.peerId, reason);
    m.probe(route.peerId, opts.peerLeftProbeMs ?? 2000).catch(() => {
      if (!route.present && routes.get(route.peerId) === route) removePeer(route.peerId, reason);
    });
  }

  return {
    roles,
    overlay: routing?.overlay,
    activeLinks,
    scheduleTopUp,
    /** The mesh stops: no more overlay top-ups, route announcements or relaying. */
    stopBackground: () => (clock.clear(topUpTimer), routing?.overlay.stop()),
    ensureRoute,
    reach,
    join,
    removePeer,
    probeOrRemove,
  };
}

/** What each route of the mesh is made with. */
function routeOptions(m: MeshPeersOptions, peerId: string, acquireSlot: PeerRouteOptions['acquireSlot'], capped: PeerRouteOptions['capped'], overlay: PeerRouteOptions['overlay']): PeerRouteOptions {
  const { opts } = m;
  return {
    peerId, localId: m.localId()!, platform: opts.platform, clock: m.clock, signaling: m.signaling, p2p: m.p2p, maxMessageBytes: m.maxMessageBytes,
    relaySession: m.relaySession,
    acquireSlot,
    capped,
    iceServers: m.iceServers,
    nextMsgId: m.nextMsgId,
    reassembler: { maxMessageBytes: m.maxMessageBytes },
    auth: m.auth,
    sealKeys: m.sealKeys,
    // Absent options as undefined members: every reader defaults them (`??`, `?.`).
    overlay,
    connectTimeoutMs: opts.connectTimeoutMs,
    disconnectGraceMs: opts.disconnectGraceMs,
    sender: opts.sender,
    adopter: opts.agentChannels,
  };
}
